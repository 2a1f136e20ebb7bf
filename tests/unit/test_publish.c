/*
 * test_publish.c - what `ros publish` writes: the record of the files ros
 * wrote (published.json, its checksums, the edited-since-written check).
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results/published.h"
#include "store/json.h"
#include "unit.h"
#include "util/util.h"

static char root[] = "/tmp/ros-unit-publish-XXXXXX";

/* FNV-1a, 64 bits, of s from basis, as ros records it. */
static void
fnv_sum(uint64_t basis, const char *s, char out[PUBLISHED_SUM])
{
	uint64_t h = basis;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	snprintf(out, PUBLISHED_SUM, "fnv1a64:%016llx", (unsigned long long)h);
}

/* The checksum: FNV-1a's offset basis is 14695981039346656037. */
static void
right_checksum(const char *s, char out[PUBLISHED_SUM])
{
	fnv_sum(14695981039346656037ULL, s, out);
}

/* The checksum ros recorded before: the basis with its last digit missing. */
static void
old_checksum(const char *s, char out[PUBLISHED_SUM])
{
	fnv_sum(1469598103934665603ULL, s, out);
}

static void
put(const char *rel, const char *text)
{
	char *path = path_join(root, rel), *dir = xstrdup(path);
	*strrchr(dir, '/') = 0;
	mkdir_p(dir, 0755);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(dir);
	free(path);
}

static char *
get(const char *rel)
{
	char *path = path_join(root, rel), *s = read_file(path, NULL);
	free(path);
	return s;
}

/* A published.json recording rel with checksum sum, written at "then". */
static json_t *
recorded(const char *rel, const char *sum)
{
	json_t *pub = json_object(), *files = json_object(), *rec = json_object();
	jset_str(rec, "checksum", sum);
	jset_str(rec, "kind", "paper");
	jset_str(rec, "source_evidence", "research/p/evidence/summary.json");
	jset_str(rec, "written_at", "then");
	json_object_set_new(files, rel, rec);
	json_object_set_new(pub, "files", files);
	json_object_set_new(pub, "posts", json_object());
	return pub;
}

static const char *
rec_str(const json_t *pub, const char *rel, const char *field)
{
	return jstr(json_object_get(json_object_get(pub, "files"), rel), field);
}

static void
test_checksum(void)
{
	/* FNV-1a 64 test vectors */
	char sum[PUBLISHED_SUM];
	published_checksum("", 0, sum);
	CHECK_STR(sum, "fnv1a64:cbf29ce484222325", "checksum of nothing: the FNV-1a offset basis");
	published_checksum("a", 1, sum);
	CHECK_STR(sum, "fnv1a64:af63dc4c8601ec8c", "checksum of \"a\"");
	published_checksum("foobar", 6, sum);
	CHECK_STR(sum, "fnv1a64:85944171f73967e8", "checksum of \"foobar\"");
	CHECK(published_sum_matches(sum, "foobar", 6), "a checksum matches its bytes");
	CHECK(!published_sum_matches(sum, "foobaz", 6), "and not other bytes");
	char old[PUBLISHED_SUM];
	old_checksum("foobar", old);
	CHECK(strcmp(old, sum) && published_sum_matches(old, "foobar", 6),
	      "a checksum recorded by the old formula still matches its bytes");
	CHECK(!published_sum_matches(old, "foobaz", 6), "and not other bytes");
	CHECK(!published_sum_matches(NULL, "foobar", 6), "no checksum matches nothing");
}

static void
test_put(void)
{
	const char *rel = "research/p/paper/tables/results.tex", *res = NULL;
	char old[PUBLISHED_SUM], sum[PUBLISHED_SUM];
	struct buf err = BUF_INIT;

	/* a file ros wrote before, with the old checksum: not edited */
	put(rel, "old table\n");
	old_checksum("old table\n", old);
	json_t *pub = recorded(rel, old);
	int rc = published_put(pub, root, rel, "new table\n", "paper", "src.json", "now", 0, &res, &err);
	char *text = get(rel);
	CHECK(rc == 0 && res && !strcmp(res, "wrote"), "a file with an old-formula checksum is ros's: written (%s)",
	      res ? res : err.s);
	CHECK_STR(text, "new table\n", "its new bytes are on disk");
	free(text);
	right_checksum("new table\n", sum);
	CHECK_STR(rec_str(pub, rel, "checksum"), sum, "the checksum recorded is the right one");
	CHECK_STR(rec_str(pub, rel, "written_at"), "now", "written_at: when it was written");
	json_decref(pub);

	/* the same bytes, recorded with the old checksum: unchanged, the
	 * checksum brought up to date, written_at kept */
	old_checksum("new table\n", old);
	pub = recorded(rel, old);
	rc = published_put(pub, root, rel, "new table\n", "paper", "src.json", "later", 0, &res, &err);
	CHECK(rc == 0 && res && !strcmp(res, "unchanged"), "the same bytes: unchanged");
	CHECK_STR(rec_str(pub, rel, "checksum"), sum, "an old checksum is replaced by the right one");
	CHECK_STR(rec_str(pub, rel, "written_at"), "then", "written_at stays while the bytes do");
	json_decref(pub);

	/* recorded with the right checksum: not edited either */
	pub = recorded(rel, sum);
	rc = published_put(pub, root, rel, "third table\n", "paper", "src.json", "now", 0, &res, &err);
	text = get(rel);
	CHECK(rc == 0 && res && !strcmp(res, "wrote"), "a file with the right checksum is ros's: written");
	CHECK_STR(text, "third table\n", "its new bytes are on disk");
	free(text);
	json_decref(pub);

	/* edited since: neither checksum is of its bytes */
	put(rel, "third table, edited by hand\n");
	old_checksum("third table\n", old);
	pub = recorded(rel, old);
	rc = published_put(pub, root, rel, "fourth table\n", "paper", "src.json", "now", 0, &res, &err);
	text = get(rel);
	CHECK(rc == 0 && res && !strcmp(res, "refused"), "an edited file is refused");
	CHECK_STR(text, "third table, edited by hand\n", "and left as it is");
	free(text);
	CHECK_STR(rec_str(pub, rel, "checksum"), old, "its record is left as it is");
	rc = published_put(pub, root, rel, "fourth table\n", "paper", "src.json", "now", 1, &res, &err);
	text = get(rel);
	CHECK(rc == 0 && res && !strcmp(res, "overwrote") && text && !strcmp(text, "fourth table\n"),
	      "--force overwrites it");
	free(text);
	json_decref(pub);

	/* a file ros never recorded */
	put("research/p/paper/figures/mse.svg", "<svg/>\n");
	pub = recorded(rel, old);
	rc = published_put(pub, root, "research/p/paper/figures/mse.svg", "<svg></svg>\n", "paper", "src.json", "now",
			   0, &res, &err);
	CHECK(rc == 0 && res && !strcmp(res, "refused"), "a file that is not ros's is refused");
	rc = published_put(pub, root, "research/p/paper/figures/acc.svg", "<svg></svg>\n", "paper", "src.json", "now",
			   0, &res, &err);
	CHECK(rc == 0 && res && !strcmp(res, "wrote"), "a new file is written");
	json_decref(pub);
	buf_release(&err);
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int
main(void)
{
	if (!mkdtemp(root)) {
		CHECK(0, "mkdtemp");
		return UNIT_DONE();
	}
	setenv("ROS_TEST_FSYNC", "0", 1);
	setenv("ROS_TEST_NOW", "1767323045", 1);
	test_checksum();
	test_put();
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return UNIT_DONE();
}
