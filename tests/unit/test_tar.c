/* test_tar.c - the tar writer and reader of code/tar.h: round trips, GNU
 * tar's own archives, damaged ones, and writes that would leave their
 * directory. */
#include "code/tar.h"
#include "unit.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

struct seen {
	struct buf names;
	size_t n;
	long long bytes;
};

static int
collect(const struct tar_member *m, void *arg)
{
	struct seen *s = arg;
	buf_addf(&s->names, "%c:%s:%zu|", m->type, m->name, m->len);
	s->n++;
	s->bytes += (long long)m->len;
	return 0;
}

static int
run(const char *cmd)
{
	return system(cmd);
}

int
main(void)
{
	struct buf b = BUF_INIT, err = BUF_INIT;
	/* a name over tar's 100 bytes (and over ustar's prefix split), in parts a
	 * file system takes */
	char longname[300];
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	memcpy(longname, "dir/", 4);
	for (size_t i = 60; i < sizeof longname - 1; i += 60)
		longname[i] = '/';
	tar_file(&b, "hello.txt", 0644, 1700000000, "hello\n", 6);
	tar_file(&b, "-dash\nnew line", 0755, 1700000000, "x", 1);
	tar_file(&b, longname, 0644, 0, "long", 4);
	tar_symlink(&b, "link", "hello.txt", 0);
	tar_file(&b, "empty", 0644, 0, "", 0);
	tar_end(&b);
	CHECK(b.len % 512 == 0, "the archive is whole blocks");
	struct seen s = { BUF_INIT, 0, 0 };
	long long used = tar_each(b.s, b.len, collect, &s, &err);
	CHECK(used == (long long)b.len, "read to its end: %lld of %zu", used, b.len);
	char want[700];
	snprintf(want, sizeof want, "0:hello.txt:6|0:-dash\nnew line:1|0:%s:4|2:link:0|0:empty:0|", longname);
	CHECK_STR(s.names.s, want, "every member back, a long name and a newline too");

	/* GNU tar reads what we write, byte for byte */
	char dir[] = "/tmp/test_tar.XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	char *path = xasprintf("%s/a.tar", dir);
	FILE *f = fopen(path, "wb");
	fwrite(b.s, 1, b.len, f);
	fclose(f);
	char *cmd = xasprintf("mkdir %s/x && tar -xf %s -C %s/x && test \"$(cat %s/x/%s)\" = long && "
			      "test \"$(cat %s/x/hello.txt)\" = hello && test -x '%s/x/-dash\nnew line' && "
			      "test \"$(readlink %s/x/link)\" = hello.txt", dir, path, dir, dir, longname, dir, dir, dir);
	CHECK(run(cmd) == 0, "GNU tar extracts it as written (long name, mode, link)");
	free(cmd);
	/* we read what GNU tar writes */
	cmd = xasprintf("cd %s/x && tar -cf ../b.tar hello.txt %s -- '-dash\nnew line'", dir, longname);
	CHECK(run(cmd) == 0, "GNU tar makes an archive");
	free(cmd);
	char *p2 = xasprintf("%s/b.tar", dir);
	size_t len;
	char *gnu = read_file(p2, &len);
	struct seen s2 = { BUF_INIT, 0, 0 };
	used = gnu ? tar_each(gnu, len, collect, &s2, &err) : -1;
	CHECK(used > 0, "we read GNU tar's archive");
	snprintf(want, sizeof want, "0:hello.txt:6|0:%s:4|0:-dash\nnew line:1|", longname);
	CHECK_STR(s2.names.s, want, "its members: a directory, a long name (GNU 'L')");

	/* damage: a checksum, a cut */
	char *bad = xmalloc(b.len);
	memcpy(bad, b.s, b.len);
	bad[10] ^= 1;
	struct seen s3 = { BUF_INIT, 0, 0 };
	buf_reset(&err);
	CHECK(tar_each(bad, b.len, collect, &s3, &err) < 0 && strstr(buf_cstr(&err), "does not read"),
	      "a changed header is refused: %s", buf_cstr(&err));
	buf_reset(&err);
	CHECK(tar_each(b.s, 512 + 3, collect, &s3, &err) < 0 && strstr(buf_cstr(&err), "ends inside"),
	      "a cut member is refused: %s", buf_cstr(&err));

	/* writing under a directory */
	char *out = xasprintf("%s/out", dir);
	mkdir(out, 0755);
	struct tar_member m = { .name = "a/b/c.txt", .type = '0', .mode = 0644, .data = "abc", .len = 3 };
	buf_reset(&err);
	CHECK(tar_write_under(out, &m, &err) == 0, "a nested file written: %s", buf_cstr(&err));
	char *cp = xasprintf("%s/a/b/c.txt", out);
	char *got = read_file(cp, &len);
	CHECK_STR(got, "abc", "with its content");
	free(got);
	const char *bads[] = { "../x", "/etc/x", "a/../../x", "a//b", "./x", "" };
	for (size_t i = 0; i < sizeof bads / sizeof *bads; i++) {
		m.name = (char *)bads[i];
		buf_reset(&err);
		CHECK(tar_write_under(out, &m, &err) < 0, "'%s' refused", bads[i]);
	}
	char *victim = xasprintf("%s/victim", dir), *ln = xasprintf("%s/sneaky", out);
	mkdir(victim, 0755);
	if (symlink(victim, ln) != 0)
		return 1;
	m.name = "sneaky/x";
	buf_reset(&err);
	CHECK(tar_write_under(out, &m, &err) < 0, "not through a symbolic link: %s", buf_cstr(&err));
	char *vx = xasprintf("%s/x", victim);
	CHECK(access(vx, F_OK) != 0, "nothing written where the link points");
	cmd = xasprintf("rm -rf %s", dir);
	run(cmd);
	free(cmd);
	free(vx);
	free(victim);
	free(ln);
	free(cp);
	free(out);
	free(bad);
	free(gnu);
	free(p2);
	free(path);
	buf_release(&s.names);
	buf_release(&s2.names);
	buf_release(&s3.names);
	buf_release(&b);
	buf_release(&err);
	return UNIT_DONE();
}
