/*
 * blacklist.h - reading and editing vastai/blacklist.yaml for
 * `vastai-blacklist` and `vastai-watcher blacklist` (the format is in hunt.h
 * and schemas/vastai.md; vast_blacklist_load() is what hunt and the watcher
 * filter offers with).
 *
 * Edits are surgical (store/yaml.h): a user's comments, quoting and order
 * stay; an item added is
 *
 *	  - machine_id: 48211
 *	    reason: rented twice, never booted
 *	    date: 2026-05-30
 *
 * at the end of the `blacklist:` list (or of a bare top-level list), and a
 * removed item takes only its own lines with it.  Both take the root's lock
 * and re-read the file under it.  A file that does not read as a blacklist
 * is never written.
 */
#ifndef ROS_VAST_BLACKLIST_H
#define ROS_VAST_BLACKLIST_H

#include <jansson.h>

#include "util/util.h"

/* The entries of root/vastai/blacklist.yaml in file order:
 * [{"machine_id": N, "reason": S|null, "date": S|null, "line": L}, ...]
 * (a missing file: []).  New reference, or NULL with err. */
json_t *vast_blacklist_entries(const char *root, struct buf *err);

/* Ban machine_id with reason (may be NULL) and today's date (UTC).
 * 1 added, 0 it was already there (nothing written; *old gets its entry,
 * a new reference, when old is not NULL), -1 with err. */
int vast_blacklist_add(const char *root, long long machine_id, const char *reason, json_t **old,
		       struct buf *err);

/* Lift the ban: every entry of machine_id is removed.  The number removed
 * (0: none, nothing written), or -1 with err. */
int vast_blacklist_remove(const char *root, long long machine_id, struct buf *err);

/* The blacklist on stdout: a table (MACHINE, SINCE, REASON), or as JSON
 * (vast_blacklist_entries) with json; what `vastai-blacklist list` and
 * `vastai-watcher blacklist` print.  0, or 1 when the file does not read
 * (said on stderr). */
int vast_blacklist_show(const char *root, int json);

#endif
