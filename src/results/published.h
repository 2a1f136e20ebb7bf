/*
 * published.h - research/<project>/evidence/published.json: the files ros
 * wrote for a project, each with a checksum of the bytes it wrote, so that
 * a file edited since is left alone; and the path of each blog post.
 *
 *   {"files": {"research/p/paper/tables/results.tex": {"checksum":
 *               "fnv1a64:<16 hex digits>", "kind": "paper",
 *               "source_evidence": "research/p/evidence/summary.json",
 *               "written_at": "..."}, ...},
 *    "posts": {"all": "research/p/blog/2026-01-02-title-results.md",
 *              "phase:B": "..."}}
 *
 * It is committed with the project, unlike .ros/, so that a clone knows
 * which files are ros's.  A file that is there with other bytes than ros
 * recorded was edited by its user, or was never ros's.
 *
 * Checksums are fnv1a() (util.h) of the bytes.  ros once computed them with
 * an offset basis that missed a digit (1469598103934665603): a checksum
 * recorded that way still says the file is unedited, and the right one
 * replaces it the next time the file is recorded.
 */
#ifndef ROS_RESULTS_PUBLISHED_H
#define ROS_RESULTS_PUBLISHED_H

#include <jansson.h>

#include "util/util.h"

#define PUBLISHED_SUM 32	/* "fnv1a64:" and 16 hex digits, and a NUL */

/* The checksum ros records for s[0..n). */
void published_checksum(const char *s, size_t n, char out[PUBLISHED_SUM]);

/* 1 if sum is a checksum of s[0..n), as ros records it now or did before. */
int published_sum_matches(const char *sum, const char *s, size_t n);

/* The project's published.json, with its "files" and "posts" objects (a
 * new object, never NULL).  One that cannot be read is reported with a
 * warning and taken as empty: every existing output then counts as
 * edited. */
json_t *published_load(const char *root, const char *project);

/* Write it back (when it changed).  0, or -1 with err set. */
int published_save(const char *root, const char *project, const json_t *pub, struct buf *err);

/*
 * Write data to root/rel unless the file there was edited since ros
 * recorded it: it exists with bytes other than data and other than those
 * its recorded checksum is of (force writes it anyway).  *result is then
 * "refused", "unchanged" (the file already holds data), "overwrote" (with
 * force, a file edited or never ros's) or "wrote".  A written or unchanged file
 * is recorded in pub's "files" with kind, source and now (its written_at
 * stays while its bytes do).  0, or -1 with err set (*result unset).
 */
int published_put(json_t *pub, const char *root, const char *rel, const char *data, const char *kind,
		  const char *source, const char *now, int force, const char **result, struct buf *err);

#endif
