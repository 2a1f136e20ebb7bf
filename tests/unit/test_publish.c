/*
 * test_publish.c - what `ros publish` writes: the record of the files ros
 * wrote (published.json, its checksums, the edited-since-written check)
 * and the blog post's text.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "results/aggregate.h"
#include "results/blog.h"
#include "results/publication.h"
#include "results/published.h"
#include "util/jx.h"
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

/* A summary whose best mean prints as zero from below. */
static json_t *
tiny_summary(void)
{
	json_error_t je;
	json_t *runs = json_loads("[{\"id\":\"r1\",\"status\":\"done\",\"params\":{\"lam\":\"0\",\"seed\":\"1\"},"
				  "\"metrics\":{\"delta\":-0.00001}},"
				  "{\"id\":\"r2\",\"status\":\"done\",\"params\":{\"lam\":\"0\",\"seed\":\"2\"},"
				  "\"metrics\":{\"delta\":-0.00002}}]", 0, &je);
	struct agg_opts o = { 0 };
	struct buf err = BUF_INIT;
	o.direction = "higher";
	o.generated_at = "2026-01-02T03:04:05Z";
	json_t *s = aggregate_runs(runs, &o, &err);
	CHECK(s != NULL, "a summary to publish (%s)", buf_cstr(&err));
	json_t *t = json_object();
	jset_str(t, "metric", "delta");
	jset_str(t, "direction", "higher");
	json_object_set_new(t, "value", json_real(-0.00001));
	json_object_set_new(t, "met", json_false());
	json_object_set_new(t, "gap", json_real(-0.000005));
	if (s) {
		jset_str(s, "project_id", "p");
		json_object_set_new(s, "target", t);
	} else {
		json_decref(t);
	}
	json_decref(runs);
	buf_release(&err);
	return s;
}

static void
test_post(void)
{
	json_t *s = tiny_summary();
	json_t *scope = json_object();
	jset_str(scope, "dir", "research/p/evidence");
	if (s)
		json_object_set_new(scope, "summary", s);
	struct publication p;
	struct buf err = BUF_INIT;
	mkdir_p(root, 0755);
	int rc = publication_init(&p, root, "p", NULL, scope, &err);
	CHECK(rc == 0, "a publication of the summary (%s)", buf_cstr(&err));
	if (rc == 0) {
		json_t *runs = json_array();
		blog_add(&p, runs, runs);
		json_decref(runs);
		const char *post = p.n == 1 ? p.out[0].data : NULL;
		CHECK(post && strstr(post, "**lam=0** with 0.0000 \xC2\xB1 0.0000 (n=2)"),
		      "post: the best mean, 4 decimals, prints as 0.0000");
		CHECK(post && strstr(post, "The target (delta \xE2\x89\xA5 0.0000) is not met yet."),
		      "post: the target, 4 decimals");
		CHECK(post && !strstr(post, "-0.0000"), "post: never -0.0000");
	}
	publication_release(&p);
	json_decref(scope);
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
	test_post();
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return UNIT_DONE();
}
