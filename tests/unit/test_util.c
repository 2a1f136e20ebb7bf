/* test_util.c - util helpers against their references. */
#include "unit.h"
#include "util/jx.h"
#include "util/util.h"
#include "exec/batch.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

/* What cksum(1) prints for data: "CRC SIZE". */
static int
cksum_tool(const char *data, size_t n, char *out, size_t outsz)
{
	char path[] = "/tmp/ros-unit-ck.XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0 || write_all(fd, data, n) < 0)
		return -1;
	close(fd);
	char *cmd = xasprintf("cksum < %s", path);
	FILE *f = popen(cmd, "r");
	free(cmd);
	int ok = f && fgets(out, (int)outsz, f);
	if (f)
		pclose(f);
	unlink(path);
	out[strcspn(out, "\n")] = 0;
	return ok ? 0 : -1;
}

int
main(void)
{
	struct { const char *s; size_t n; } cases[] = {
		{ "", 0 }, { "a", 1 }, { "123456789", 9 }, { "line\n", 5 }, { "\0\xff\x80 bytes\n", 10 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char want[64] = "", got[64];
		CHECK(cksum_tool(cases[i].s, cases[i].n, want, sizeof want) == 0, "cksum(1) runs (case %zu)", i);
		snprintf(got, sizeof got, "%lu %zu", (unsigned long)posix_cksum(cases[i].s, cases[i].n), cases[i].n);
		CHECK_STR(got, want, "posix_cksum agrees with cksum(1) on case %zu", i);
	}
	/* sizes whose length bytes matter: 255, 256, 65536 */
	size_t sizes[] = { 255, 256, 65536, 300001 };
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		char *d = xmalloc(sizes[i]);
		for (size_t k = 0; k < sizes[i]; k++)
			d[k] = (char)(k * 7 + (k >> 8));
		char want[64] = "", got[64];
		cksum_tool(d, sizes[i], want, sizeof want);
		snprintf(got, sizeof got, "%lu %zu", (unsigned long)posix_cksum(d, sizes[i]), sizes[i]);
		CHECK_STR(got, want, "posix_cksum agrees with cksum(1) on %zu bytes", sizes[i]);
		free(d);
	}
	/* utf8_clean: valid text kept, every bad byte one U+FFFD, NULs dropped */
	{
		static const char in[] = "ok \xc3\xbc\xff|\xe2\x82|\0|\xed\xa0\x80|\xf0\x9f\x98\x80";
		char *c = utf8_clean(in, sizeof in - 1);
		CHECK_STR(c, "ok \xc3\xbc\xef\xbf\xbd|\xef\xbf\xbd\xef\xbf\xbd||"
			  "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd|\xf0\x9f\x98\x80",
			  "utf8_clean: one U+FFFD per bad byte, NUL dropped");
		CHECK(utf8_valid(c, strlen(c)), "utf8_clean: the result is valid UTF-8");
		free(c);
	}
	/* split_list: blanks trimmed, empty items dropped and counted */
	struct strv sv = STRV_INIT;
	CHECK(split_list(" a, b ,,c,\t", ',', &sv) == 2, "two empty items counted");
	CHECK(sv.n == 3 && !strcmp(sv.v[0], "a") && !strcmp(sv.v[1], "b") && !strcmp(sv.v[2], "c"),
	      "items a b c, trimmed");
	strv_release(&sv);
	CHECK(split_list("", ',', &sv) == 0 && sv.n == 0, "empty string: nothing");
	CHECK(split_list("x:y", ':', &sv) == 0 && sv.n == 2 && !strcmp(sv.v[1], "y"), "another separator");
	strv_release(&sv);
	/* rec_fields: a worker record's fields by name, a default for missing ones */
	struct rec r;
	memset(&r, 0, sizeof r);
	r.f[0] = "exited";
	r.f[1] = "42";
	r.nf = 2;
	json_t *o = json_object();
	rec_fields(&r, o, (const char *const[]){ "state", "pid", "code", NULL }, "-");
	CHECK_STR(jstr0(o, "state"), "exited", "first field");
	CHECK_STR(jstr0(o, "pid"), "42", "second field");
	CHECK_STR(jstr0(o, "code"), "-", "a missing field gets the default");
	json_object_clear(o);
	rec_fields(&r, o, (const char *const[]){ "a", "b", "c", NULL }, NULL);
	CHECK(!json_object_get(o, "c") && json_object_size(o) == 2, "without a default, left out");
	json_decref(o);
	/* jint0: jint's number, 0 for anything else */
	o = json_pack("{s:i, s:s, s:s, s:f, s:f}", "n", 7, "s", "42", "x", "4x", "r", 3.0, "h", 2.5);
	CHECK(jint0(o, "n") == 7 && jint0(o, "s") == 42 && jint0(o, "r") == 3, "jint0: a number, a numeric string, 3.0");
	CHECK(jint0(o, "x") == 0 && jint0(o, "h") == 0 && jint0(o, "none") == 0 && jint0(NULL, "n") == 0,
	      "jint0: 0 for text, a fraction, a missing key, no object");
	json_decref(o);

	/* text_last_line: the last line that says anything, blanks cut */
	{
		const struct {
			const char *in, *want;
		} t[] = {
			{ "one\ntwo\n", "two" },
			{ "one\ntwo  \t\r\n\n \n", "two" },
			{ "50%\r100%\rdone\n", "done" },
			{ "only", "only" },
			{ "\n \n\t\n", "" },
			{ "", "" },
		};
		for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
			const char *l;
			size_t n = text_last_line(t[i].in, strlen(t[i].in), &l);
			char *got = xstrndup(l, n);
			CHECK_STR(got, t[i].want, "text_last_line, case %zu", i);
			free(got);
		}
	}
	/* slugify: letters and digits, one separator between runs of the rest */
	{
		char *a = slugify("  Time-series: ETTh1! ", '_', 0), *b = slugify("Caf\xc3\xa9 au lait", '-', 0);
		char *c = slugify("!!!", '_', 0), *d = slugify("abc def ghi", '-', 5), *e = slugify("abcd efg", '-', 5);
		CHECK_STR(a, "time_series_etth1", "slugify: lowercase, no separator at the ends");
		CHECK_STR(b, "caf-au-lait", "slugify: non-ASCII bytes separate");
		CHECK_STR(c, "", "slugify: nothing left");
		CHECK_STR(d, "abc-d", "slugify: stops at max bytes");
		CHECK_STR(e, "abcd-e", "slugify: a separator at max - 1 comes with the character after it");
		free(e);
		free(a);
		free(b);
		free(c);
		free(d);
	}

	/* FNV-1a: the published 64-bit test vectors */
	CHECK(fnv1a(FNV1A_INIT, "", 0) == 0xcbf29ce484222325ULL, "fnv1a of nothing is the offset basis");
	CHECK(fnv1a(FNV1A_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL, "fnv1a(\"a\")");
	CHECK(fnv1a(FNV1A_INIT, "foobar", 6) == 0x85944171f73967e8ULL, "fnv1a(\"foobar\")");
	CHECK(fnv1a(fnv1a(FNV1A_INIT, "foo", 3), "bar", 3) == fnv1a(FNV1A_INIT, "foobar", 6), "fnv1a chains");
	/* the word-at-a-time hash is what queue indexes hold (cmdhash): these
	 * values are on disk, a change must bump the index version */
	CHECK(hash_words(FNV1A_INIT, "a", 1) == 0xaf63dc4c8601ec8cULL, "hash_words: FNV-1a below 8 bytes");
	CHECK(hash_words(FNV1A_INIT, "abcdefgh", 8) == 0x3919eeb1c62e930cULL, "hash_words of one word");
	CHECK(hash_words(FNV1A_INIT, "run_0001 --lr 0.1\0SEED=1", 24) == 0x3224776aeb2b5dbdULL,
	      "hash_words of three words");
	CHECK(hash_words(FNV1A_INIT, "the quick brown fox jumps over the lazy dog", 43) == 0x68867e2d09e378f4ULL,
	      "hash_words of words and a tail");

	/* the clock tests pin: ROS_TEST_NOW, seconds since 1970, or +N / -N
	 * seconds from the real clock */
	char ts[32];
	setenv("ROS_TEST_NOW", "1000000000", 1);
	iso_now(ts);
	CHECK_STR(ts, "2001-09-09T01:46:40Z", "ROS_TEST_NOW pins the clock");
	CHECK(time_now() == 1000000000, "time_now() reads it too");
	const char *shifts[] = { "+86400", "-3600", "" };
	const long long by[] = { 86400, -3600, 0 };
	for (size_t i = 0; i < ARRAY_SIZE(shifts); i++) {
		setenv("ROS_TEST_NOW", shifts[i], 1);
		time_t before = time(NULL);
		iso_now(ts);
		time_t after = time(NULL), got = parse_iso_time(ts);
		CHECK(got >= before + by[i] && got <= after + by[i], "ROS_TEST_NOW='%s': the real clock %+lld s (%s)",
		      shifts[i], by[i], ts);
	}
	/* a value that is not a number of seconds is refused, not taken for 1970 */
	int errp[2];
	if (pipe(errp) == 0) {
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			dup2(errp[1], 2);
			setenv("ROS_TEST_NOW", "tomorrow", 1);
			time_now();
			_exit(0);
		}
		close(errp[1]);
		char msg[256] = "";
		ssize_t n = read(errp[0], msg, sizeof msg - 1);
		msg[n > 0 ? n : 0] = 0;
		msg[strcspn(msg, "\n")] = 0;
		close(errp[0]);
		int status = 0;
		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1 && strstr(msg, "ROS_TEST_NOW='tomorrow'"),
		      "ROS_TEST_NOW=tomorrow: an error (%s)", msg);
	}
	unsetenv("ROS_TEST_NOW");
	return UNIT_DONE();
}
