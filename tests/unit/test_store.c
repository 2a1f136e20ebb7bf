/* test_store.c - unit tests of the JSON scanner, writer and queue layer. */
#include "unit.h"
#include "store/queue.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int
scan_err(const char *text, const char *want)
{
	struct jelem *el = NULL;
	size_t n;
	struct buf err = BUF_INIT;
	int r = jscan_array(text, strlen(text), &el, &n, &err);
	int ok = r < 0 && strstr(err.s, want) != NULL;
	if (!ok)
		printf("#   scan of %.40s gave r=%d err=%s\n", text, r, err.s ? err.s : "");
	free(el);
	buf_release(&err);
	return ok;
}

static char *
dump(const char *json)
{
	json_error_t je;
	json_t *v = json_loads(json, 0, &je);
	struct buf b = BUF_INIT;
	json_write(&b, v, 0);
	json_decref(v);
	return buf_detach(&b);
}

static void
test_scanner(void)
{
	struct jelem *el = NULL;
	size_t n = 0;
	struct buf err = BUF_INIT;
	const char *t = "[\n  {\"id\": \"r1\", \"status\": \"done\", \"x\": [1, {\"status\": \"no\"}]},\n  {\"id\": \"r\\u0032\"}\n]\n";
	CHECK(jscan_array(t, strlen(t), &el, &n, &err) == 0 && n == 2, "scanner accepts a queue of two entries");
	CHECK(n == 2 && el[0].key[JK_STATUS].len == 4 && !memcmp(t + el[0].key[JK_STATUS].off, "done", 4),
	      "scanner indexes the top-level status, not a nested one");
	char *id = n == 2 ? jstr_decode(t + el[1].key[JK_ID].off, el[1].key[JK_ID].len) : NULL;
	CHECK_STR(id, "r2", "escaped id is decoded");
	free(id);
	free(el);
	CHECK(scan_err("{\"a\": 1}", "1:1: expected a JSON array of entries, found an object"), "object instead of array");
	CHECK(scan_err("[\n  {\"a\": 1},\n  {\"b\": tru}\n]", "3:9: invalid value"), "bad literal with line:col");
	CHECK(scan_err("[{\"a\": \"x", "unterminated string"), "truncated string");
	CHECK(scan_err("[{\"a\": 1}", "missing ']'"), "truncated array");
	CHECK(scan_err("[{\"a\": 1}, 3]", "entry is not a JSON object"), "non-object entry");
	CHECK(scan_err("[{\"a\": \"\xff\"}]", "invalid UTF-8"), "invalid UTF-8");
	CHECK(scan_err("[{\"a\": \"\xc0\x80\"}]", "invalid UTF-8"), "overlong UTF-8");
	CHECK(scan_err("[{\"a\": \"x\ny\"}]", "control character"), "raw newline in a string");
	CHECK(scan_err("[{\"a\": \"\\q\"}]", "invalid escape"), "bad escape");
	CHECK(scan_err("[{\"a\": 01}]", "expected ','"), "leading zero");
	CHECK(scan_err("[] x", "extra data"), "trailing junk");
	CHECK(scan_err("", "empty file"), "empty file");
	CHECK(scan_err("[{\"a\" 1}]", "expected ':'"), "missing colon");
	/* a byte order mark is not a column: the same place as without one */
	CHECK(scan_err("\xef\xbb\xbf[{\"a\": tru}]", "1:8: invalid value"), "column after a byte order mark");
	/* deep nesting does not blow the stack */
	struct buf deep = BUF_INIT;
	buf_adds(&deep, "[{\"a\": ");
	for (int i = 0; i < 100000; i++)
		buf_addc(&deep, '[');
	CHECK(scan_err(deep.s, "nested too deeply"), "deep nesting is refused");
	buf_release(&deep);
	/* a huge string */
	struct buf big = BUF_INIT;
	buf_adds(&big, "[{\"a\": \"");
	for (int i = 0; i < 4 << 20; i++)
		buf_addc(&big, 'x');
	buf_adds(&big, "\"}]");
	el = NULL;
	CHECK(jscan_array(big.s, big.len, &el, &n, &err) == 0 && n == 1, "4 MB string scans");
	free(el);
	buf_release(&big);
	buf_release(&err);
}

static int
scan_ok(const char *text)
{
	struct jelem *el = NULL;
	size_t n;
	struct buf err = BUF_INIT;
	int r = jscan_array(text, strlen(text), &el, &n, &err);
	if (r < 0)
		printf("#   scan of %.60s failed: %s\n", text, err.s);
	free(el);
	buf_release(&err);
	return r == 0;
}

/* An object with a key twice (also spelt differently with escapes) is
 * refused at any depth: jansson would keep one value, the scanner's index
 * might have recorded the other. */
static void
test_duplicate_keys(void)
{
	CHECK(scan_err("[{\"status\":\"pending\",\"st\\u0061tus\":\"running\"}]",
		       "1:22: duplicate key \"status\" (also at line 1)"),
	      "a key spelt with an escape duplicates the plain one");
	CHECK(scan_err("[\n  {\n    \"id\": \"r1\",\n    \"status\": \"pending\",\n    \"status\": \"running\"\n  }\n]\n",
		       "5:5: duplicate key \"status\" (also at line 4)"),
	      "a duplicated top-level key: line:col of the second, line of the first");
	CHECK(scan_err("[{\"id\": \"r1\"}, {\"id\": \"r2\", \"p\": {\"lr\": 1, \"x\": [{\"a\\/b\": 1, \"a/b\": 2}]}}]",
		       "duplicate key \"a/b\""), "a duplicated key in a nested object");
	CHECK(scan_err("[{\"\\u00e9\": 1, \"\xc3\xa9\": 2}]", "duplicate key \"\xc3\xa9\""),
	      "a \\u escape and the raw UTF-8 of the same character");
	CHECK(scan_err("[{\"k\\n\\\"\": 1, \"k\\u000a\\u0022\": 2}]", "duplicate key \"k\\n\\\"\""),
	      "the key in the message is escaped");
	struct buf key = BUF_INIT, lk = BUF_INIT, want = BUF_INIT;
	buf_addc(&key, 'x');
	for (int i = 0; i < 100; i++)
		buf_adds(&key, "\xc3\xa9");	/* byte 60 is inside a character */
	buf_addf(&lk, "[{\"%s\": 1, \"%s\": 2}]", key.s, key.s);
	buf_adds(&want, "1:111: duplicate key \"x");
	for (int i = 0; i < 29; i++)
		buf_adds(&want, "\xc3\xa9");
	buf_adds(&want, "...\" (also at line 1)");
	CHECK(scan_err(lk.s, want.s), "a long key is cut in the message, between characters");
	buf_release(&key);
	buf_release(&lk);
	buf_release(&want);
	CHECK(scan_ok("[{\"a\": 1, \"b\": {\"a\": 2}, \"c\": [{\"a\": 3}, {\"a\": 4}]}, {\"a\": 5}]"),
	      "the same key in different objects is not a duplicate");
	CHECK(scan_ok("[{\"ab\": 1, \"a\\u0062c\": 2, \"a\\u0062\\u0063d\": 3, \"\": 4, \"A\": 5, \"a\": 6}]"),
	      "keys that differ only after decoding are distinct");
	/* a large object: duplicates found however many keys it has */
	struct buf big = BUF_INIT;
	buf_adds(&big, "[{");
	for (int i = 0; i < 5000; i++)
		buf_addf(&big, "%s\"key%d\": %d", i ? ", " : "", i, i);
	buf_adds(&big, "}]");
	int found = 0;
	for (int n = 1; n <= 70; n++) {	/* around the switch from a mask to a table */
		struct buf o = BUF_INIT;
		buf_adds(&o, "[{");
		for (int i = 0; i < n; i++)
			buf_addf(&o, "\"k%d\": 0, ", i);
		buf_addf(&o, "\"k%d\": 1}]", n / 2);
		found += scan_err(o.s, "duplicate key");
		buf_release(&o);
	}
	CHECK(found == 70, "a duplicate found in objects of 1 to 70 keys (%d of 70)", found);
	CHECK(scan_ok(big.s), "5000 distinct keys in one object");
	big.len -= 2;
	buf_adds(&big, ", \"key\\u0031234\": 0}]");
	CHECK(scan_err(big.s, "duplicate key \"key1234\" (also at line 1)"), "a duplicate among 5000 keys");
	buf_release(&big);
}

/* The index fields are found whatever the spelling of the key. */
static void
test_escaped_index_key(void)
{
	const char *t = "[{\"\\u0069d\": \"r1\", \"st\\u0061tus\": \"running\", \"project_id\": \"p\"}]";
	struct jelem *el = NULL;
	size_t n = 0;
	struct buf err = BUF_INIT;
	CHECK(jscan_array(t, strlen(t), &el, &n, &err) == 0 && n == 1, "escaped keys scan");
	char *st = n == 1 ? jstr_decode(t + el[0].key[JK_STATUS].off, el[0].key[JK_STATUS].len) : NULL;
	char *id = n == 1 ? jstr_decode(t + el[0].key[JK_ID].off, el[0].key[JK_ID].len) : NULL;
	CHECK_STR(st, "running", "status spelt st\\u0061tus is the status");
	CHECK_STR(id, "r1", "id spelt \\u0069d is the id");
	free(st);
	free(id);
	free(el);
	buf_release(&err);
}

/* What jansson refuses, the scanner refuses: otherwise a queue loads and
 * then fails on the one entry a command needs. */
static void
test_scanner_as_strict_as_jansson(void)
{
	CHECK(scan_err("[{\"a\": \"x\\u0000y\"}]", "1:10: \\u0000"), "\\u0000 in a string");
	CHECK(scan_err("[{\"a\": \"\\ud800\"}]", "1:9: invalid \\u escape"), "lone high surrogate");
	CHECK(scan_err("[{\"a\": \"\\udc00\"}]", "invalid \\u escape"), "lone low surrogate");
	CHECK(scan_err("[{\"a\": \"\\ud800\\u0041\"}]", "invalid \\u escape"), "high surrogate, then not a low one");
	CHECK(scan_err("[{\"a\": \"\\ud800\\n\"}]", "invalid \\u escape"), "high surrogate, then another escape");
	CHECK(scan_ok("[{\"a\": \"\\ud83d\\ude00\\uD83D\\uDE00\"}]"), "surrogate pairs");
	CHECK(scan_ok("[{\"a\": 9223372036854775807, \"b\": -9223372036854775808, \"c\": 12345678901234567}]"),
	      "integers at the limits of 64 bits");
	CHECK(scan_err("[{\"a\": 9223372036854775808}]", "1:8: integer too large"), "integer above 64 bits");
	CHECK(scan_err("[{\"a\": -9223372036854775809}]", "integer too large"), "integer below 64 bits");
	CHECK(scan_err("[{\"a\": 123456789012345678901234567890}]", "integer too large"), "30-digit integer");
	CHECK(scan_ok("[{\"a\": 1e308, \"b\": 1.7976931348623157e308, \"c\": -0.001e311, \"d\": 1e-400, "
		      "\"e\": 0.0e999, \"f\": 123456789012345678901234567890.5, \"g\": 0e99999999999999999999}]"),
	      "reals up to the largest double, underflow and zero with a huge exponent");
	CHECK(scan_err("[{\"a\": 1e309}]", "1:8: number too large"), "1e309");
	CHECK(scan_err("[{\"a\": -1.7976931348623159e308}]", "number too large"), "just above the largest double");
	CHECK(scan_err("[{\"a\": 100e307}]", "number too large"), "100e307");
	CHECK(scan_err("[{\"a\": 1E99999999999999999999}]", "number too large"), "a huge exponent");
}

static void
test_writer(void)
{
	char *s = dump("{\"id\": \"r1\", \"n\": 3, \"x\": 0.1, \"y\": 1.0, \"e\": [], \"o\": {}, \"l\": [1, \"a\"], \"u\": \"\xce\xbb\\n\\\"\"}");
	CHECK_STR(s, "{\n  \"id\": \"r1\",\n  \"n\": 3,\n  \"x\": 0.1,\n  \"y\": 1.0,\n  \"e\": [],\n  \"o\": {},\n"
		     "  \"l\": [\n    1,\n    \"a\"\n  ],\n  \"u\": \"\\u03bb\\n\\\"\"\n}",
		  "writer formats like Python json.dumps(indent=2)");
	free(s);
	s = dump("{\"k\": \"\xf0\x9f\x98\x80\"}");
	CHECK_STR(s, "{\n  \"k\": \"\\ud83d\\ude00\"\n}", "astral characters as surrogate pairs");
	free(s);
	char num[32];
	fmt_double(0.3847, num);
	CHECK_STR(num, "0.3847", "shortest float repr");
	fmt_double(1e-7, num);
	CHECK_STR(num, "1e-07", "small float repr");
}

static char *
tmp_write(const char *text)
{
	char *path = xstrdup("/tmp/ros-unit-XXXXXX");
	int fd = mkstemp(path);
	write_all(fd, text, strlen(text));
	close(fd);
	return path;
}

static void
test_queue_roundtrip(void)
{
	const char *orig = "[\n  {\n    \"id\": \"r1\",\n    \"status\": \"pending\",\n    \"pid\": \"12\"\n  },\n"
			   "  {\"id\": \"r2\",   \"status\": \"done\", \"weird\":   [1,2]}\n]\n";
	char *path = tmp_write(orig);
	struct queue q = QUEUE_INIT;
	struct buf err = BUF_INIT, out = BUF_INIT;
	CHECK(queue_load(&q, path, &err) == 0 && q.n == 2, "queue loads");
	queue_format(&q, &out);
	CHECK_STR(out.s, orig, "an unchanged queue is written back byte for byte");
	buf_reset(&out);
	json_t *o = queue_obj(&q, 0, &err);
	json_object_set_new(o, "status", json_string("running"));
	queue_touch(&q, 0);
	queue_format(&q, &out);
	CHECK(strstr(out.s, "  {\"id\": \"r2\",   \"status\": \"done\", \"weird\":   [1,2]}\n]\n") != NULL,
	      "untouched entry keeps its exact bytes");
	CHECK(strstr(out.s, "\"status\": \"running\",\n    \"pid\": \"12\"") != NULL, "touched entry keeps key order");
	long long pid = 0;
	CHECK(jint(o, "pid", &pid) == 0 && pid == 12, "pid written as a string reads as a number");
	CHECK(queue_find(&q, "r2") == 1 && queue_find(&q, "r3") == -1, "queue_find");
	char *id = queue_new_id(&q, "r");
	CHECK(strlen(id) == 8 && id[0] == 'r' && strspn(id + 1, "0123456789abcdef") == 7, "new id is r + 7 hex");
	free(id);
	queue_release(&q);
	buf_release(&out);

	/* a missing file is an empty queue; a broken one is an error naming the place */
	unlink(path);
	CHECK(queue_load(&q, path, &err) == 0 && q.n == 0 && q.missing, "missing queue is empty");
	queue_release(&q);
	free(path);
	path = tmp_write("[\n  {\"id\": \"r1\"},\n  {\"id\": \n");
	buf_reset(&err);
	CHECK(queue_load(&q, path, &err) < 0 && strstr(err.s, path) && strstr(err.s, ":4:1:"),
	      "truncated queue: error names path:line:col (%s)", err.s);
	queue_release(&q);
	unlink(path);
	free(path);
	path = tmp_write("[\n  {\"id\": \"r1\",\n   \"id\": \"r2\"}\n]\n");
	buf_reset(&err);
	struct buf want = BUF_INIT;
	buf_addf(&want, "%s:3:4: duplicate key \"id\" (also at line 2)", path);
	CHECK(queue_load(&q, path, &err) < 0 && !strcmp(err.s, want.s),
	      "duplicate key: queue_load fails with path:line:col (%s)", err.s);
	buf_release(&want);
	queue_release(&q);
	unlink(path);
	free(path);
	buf_release(&err);
}

static void
test_compat_queue(void)
{
	const char *dir = getenv("ROS_COMPAT_DIR");
	char *path = xasprintf("%s/queues/run_queue.json", dir ? dir : "../shared/compat/research-os-root");
	size_t len;
	char *orig = read_file(path, &len);
	if (!orig) {
		printf("# skip: %s not found\n", path);
		free(path);
		return;
	}
	struct queue q = QUEUE_INIT;
	struct buf err = BUF_INIT, out = BUF_INIT;
	CHECK(queue_load(&q, path, &err) == 0 && q.n == 251, "compat run queue: 251 runs");
	queue_format(&q, &out);
	CHECK(out.len == len && !memcmp(out.s, orig, len), "compat run queue round-trips byte for byte");
	/* change one entry: only its lines differ */
	json_t *o = queue_obj(&q, 100, &err);
	json_object_set_new(o, "status", json_string("pending"));
	queue_touch(&q, 100);
	buf_reset(&out);
	queue_format(&q, &out);
	size_t a = 0;
	while (a < len && out.s[a] == orig[a])
		a++;
	size_t b = 0;
	while (b < len && out.s[out.len - 1 - b] == orig[len - 1 - b])
		b++;
	CHECK(a >= q.e[100].off && len - b <= q.e[100].off + q.e[100].len,
	      "only entry 101's bytes changed (first diff at %zu, entry at %zu..%zu)", a, q.e[100].off,
	      q.e[100].off + q.e[100].len);
	queue_release(&q);
	buf_release(&out);
	buf_release(&err);
	free(orig);
	free(path);
}

/* The writer of test_concurrent_readers: entry k % n goes pending -> running
 * (same length: the file keeps its size) -> done -> pending. */
static int
flip_status(struct queue *q, void *arg, struct buf *err)
{
	size_t i = (size_t)*(int *)arg % q->n;
	json_t *o = queue_obj(q, i, err);
	if (!o)
		return -1;
	const char *st = jstr0(o, "status");
	jset_str(o, "status", !strcmp(st, "pending") ? "running" : !strcmp(st, "running") ? "done" : "pending");
	queue_touch(q, i);
	return 1;
}

/* A root in /tmp with a run queue of 300 pending runs and its index;
 * path_join(root, Q_RUNS) is the queue.  NULL if it cannot be made. */
static char *
queue_root(void)
{
	char *root = xstrdup("/tmp/ros-unit-root-XXXXXX");
	if (!mkdtemp(root)) {
		free(root);
		return NULL;
	}
	char *qdir = path_join(root, "queues"), *path = path_join(root, Q_RUNS);
	struct buf text = BUF_INIT, err = BUF_INIT;
	mkdir_p(qdir, 0755);
	setenv("ROS_TEST_FSYNC", "0", 1);
	buf_adds(&text, "[");
	for (int i = 0; i < 300; i++)
		buf_addf(&text, "%s\n  {\"id\": \"r%07d\", \"status\": \"pending\", \"command\": \"x\"}", i ? "," : "", i);
	buf_adds(&text, "\n]\n");
	int k = 299;	/* the last entry: running */
	CHECK(atomic_write(path, text.s, text.len, 0644, &err) == 0 &&
	      queue_update(root, Q_RUNS, flip_status, &k, &err) == 1, "a queue of 300 runs and its index");
	buf_release(&text);
	buf_release(&err);
	free(qdir);
	free(path);
	return root;
}

static void
queue_root_remove(char *root)
{
	const char *files[] = { Q_RUNS, ".ros/index/run_queue.json.idx", ".ros/lock", NULL };
	const char *dirs[] = { "queues", ".ros/index", ".ros", NULL };
	for (int i = 0; files[i]; i++) {
		char *p = path_join(root, files[i]);
		unlink(p);
		free(p);
	}
	for (int i = 0; dirs[i]; i++) {
		char *p = path_join(root, dirs[i]);
		rmdir(p);
		free(p);
	}
	rmdir(root);
	free(root);
}

/* A reader that loaded the index parses entries later from the version it
 * loaded, whatever replaced the file since; a file changed in place (not
 * by ros) is an error rather than a mix of two versions. */
static void
test_reader_keeps_its_version(void)
{
	char *root = queue_root();
	if (!root)
		return;
	char *path = path_join(root, Q_RUNS);
	struct queue q = QUEUE_INIT;
	struct buf err = BUF_INIT;
	int k = 7;
	CHECK(queue_load(&q, path, &err) == 0 && q.from_index, "the queue loads from its index");
	CHECK(queue_update(root, Q_RUNS, flip_status, &k, &err) == 1, "a writer replaces it: run 7 is running");
	json_t *o = queue_obj(&q, 7, &err);
	CHECK_STR(o ? jstr0(o, "status") : err.s, "pending", "the reader still reads run 7 as pending, as its index said");
	queue_release(&q);

	CHECK(queue_load(&q, path, &err) == 0 && q.from_index && queue_key_is(&q, 8, JK_STATUS, "pending"),
	      "loaded again: run 8 pending");
	size_t len;
	char *t = read_file(path, &len), *at = t ? strstr(t, "\"r0000008\", \"status\": \"pending\"") : NULL;
	int fd = open(path, O_WRONLY);
	struct stat st;
	CHECK(at && fd >= 0 && pwrite(fd, "running", 7, at + 23 - t) == 7 && fstat(fd, &st) == 0,
	      "run 8 made running in place, the size kept");
	/* a later write: the coarse clock may not have ticked yet */
	struct timespec ts[2] = { st.st_atim, { st.st_mtim.tv_sec + 1, st.st_mtim.tv_nsec } };
	if (fd >= 0) {
		futimens(fd, ts);
		close(fd);
	}
	buf_reset(&err);
	CHECK(!queue_obj(&q, 8, &err) && strstr(err.s, "changed in place while being read"),
	      "reading run 8 then is an error (%s)", err.s);
	queue_release(&q);
	free(t);
	free(path);
	buf_release(&err);
	queue_root_remove(root);
}

/* An index written by an earlier ros (version 1: its scanner missed keys
 * spelt with escapes and let duplicate keys through) is not trusted: the
 * queue is scanned again. */
static void
test_old_index_rescanned(void)
{
	char *root = queue_root();
	if (!root)
		return;
	char *path = path_join(root, Q_RUNS), *ip = path_join(root, ".ros/index/run_queue.json.idx");
	struct queue q = QUEUE_INIT;
	struct buf err = BUF_INIT;
	size_t len;
	char *t = read_file(ip, &len);
	CHECK(t && queue_load(&q, path, &err) == 0 && q.from_index, "a queue with an index of this version uses it");
	queue_release(&q);
	char *v = t ? strstr(t, "ros-queue-index ") : NULL;
	if (v == t && t) {
		v[16] = '1';
		atomic_write(ip, t, len, 0644, &err);
	}
	CHECK(v == t && queue_load(&q, path, &err) == 0 && !q.from_index && q.n == 300,
	      "with a version 1 index it is scanned again");
	queue_release(&q);
	free(t);
	free(ip);
	free(path);
	buf_release(&err);
	queue_root_remove(root);
}

/* Readers do not lock: while another process keeps replacing the queue
 * and its index, every load reads entries that agree with the index it
 * loaded, and none fails with "changed while being read". */
static void
test_concurrent_readers(void)
{
	char *root = queue_root();
	if (!root)
		return;
	char *path = path_join(root, Q_RUNS);
	struct buf err = BUF_INIT;
	int ready[2];
	if (pipe(ready) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(ready[1]);
		if (read(ready[0], &c, 1) != 1)
			_exit(2);
		for (int k = 1; k <= 400; k++)
			if (queue_update(root, Q_RUNS, flip_status, &k, &err) != 1)
				_exit(1);
		_exit(0);
	}
	close(ready[0]);
	if (write(ready[1], "", 1) != 1)
		return;
	close(ready[1]);
	int reads = 0, indexed = 0, failed = 0, differ = 0, status = 0;
	struct buf first = BUF_INIT;
	while (waitpid(pid, &status, WNOHANG) == 0) {
		struct queue q = QUEUE_INIT;
		buf_reset(&err);
		if (queue_load(&q, path, &err) == 0) {
			indexed += q.from_index;
			for (size_t i = 0; i < q.n; i++) {
				json_t *o = queue_obj(&q, i, &err);
				if (!o)
					break;
				if (!queue_key_is(&q, i, JK_STATUS, jstr0(o, "status")) ||
				    !queue_key_is(&q, i, JK_ID, jstr0(o, "id")))
					differ++;
			}
		}
		if (err.len) {
			failed++;
			if (!first.len)
				buf_adds(&first, err.s);
		}
		queue_release(&q);
		reads++;
	}
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the writer replaced the queue 400 times");
	CHECK(reads > 0 && indexed > 0, "%d loads during the writes, %d from the index", reads, indexed);
	CHECK(failed == 0, "no load or entry read failed (%d did; first: %s)", failed, first.len ? first.s : "-");
	CHECK(differ == 0, "every entry read agrees with the index it was loaded with (%d did not)", differ);
	buf_release(&first);
	buf_release(&err);
	free(path);
	queue_root_remove(root);
}

/* Is there a temp file of name (".name.XXXXXX") in dir? */
static int
has_temp(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = strlen(name);
	int found = 0;
	while (d && (de = readdir(d)))
		if (de->d_name[0] == '.' && !strncmp(de->d_name + 1, name, n) && de->d_name[1 + n] == '.')
			found = 1;
	if (d)
		closedir(d);
	return found;
}

/* write_new_file never replaces a file, also one that appears while it
 * writes: a child writes slowly (ROS_TEST_WRITE_DELAY_US) while this
 * process, once the child's temp file is there (so after any check the
 * child made), creates the file itself. */
static void
test_write_new_file(void)
{
	char dir[] = "/tmp/ros-unit-new.XXXXXX";
	if (!mkdtemp(dir))
		return;
	char *path = path_join(dir, "notes.md");
	struct buf err = BUF_INIT;
	size_t len = 0;
	char *t;

	CHECK(write_new_file(path, "first\n", 6, 0600, &err) == 1, "a new file is created");
	t = read_file(path, &len);
	CHECK_STR(t, "first\n", "with its content");
	free(t);
	CHECK(write_new_file(path, "second\n", 7, 0600, &err) == 0, "an existing file: 0");
	t = read_file(path, &len);
	CHECK_STR(t, "first\n", "and it is left alone");
	free(t);
	unlink(path);

	size_t big = 16 << 16;	/* 16 pieces of 64 KiB, 50 ms apart */
	char *data = xmalloc(big);
	memset(data, 'x', big);
	pid_t pid = fork();
	if (pid == 0) {
		setenv("ROS_TEST_WRITE_DELAY_US", "50000", 1);
		setenv("ROS_TEST_FSYNC", "0", 1);
		int r = write_new_file(path, data, big, 0644, &err);
		_exit(r == 0 ? 0 : r == 1 ? 1 : 2);
	}
	int64_t end = mono_ms() + 10000;
	while (!has_temp(dir, "notes.md") && mono_ms() < end)
		usleep(1000);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	CHECK(fd >= 0, "the file is created while the child writes its temp file");
	if (fd >= 0) {
		CHECK(write_all(fd, "theirs\n", 7) == 0, "and written");
		close(fd);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child's write_new_file says it existed (exit %d)",
	      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	t = read_file(path, &len);
	CHECK(t && !strcmp(t, "theirs\n"), "the file that appeared is kept, not replaced (%zu bytes: %.6s)",
	      t ? len : 0, t ? t : "");
	free(t);
	CHECK(!has_temp(dir, "notes.md"), "no temp file is left behind");
	unlink(path);
	rmdir(dir);
	free(data);
	free(path);
	buf_release(&err);
}

int
main(void)
{
	test_scanner();
	test_duplicate_keys();
	test_escaped_index_key();
	test_scanner_as_strict_as_jansson();
	test_writer();
	test_queue_roundtrip();
	test_compat_queue();
	test_reader_keeps_its_version();
	test_old_index_rescanned();
	test_concurrent_readers();
	test_write_new_file();
	return UNIT_DONE();
}
