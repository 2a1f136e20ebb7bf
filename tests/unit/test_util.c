/* test_util.c - util helpers against their references. */
#include "unit.h"
#include "util/util.h"
#include "exec/batch.h"
#include "store/json.h"

#include <stdlib.h>
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
	return UNIT_DONE();
}
