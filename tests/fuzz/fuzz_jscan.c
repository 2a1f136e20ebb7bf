/*
 * fuzz_jscan - the queue scanner (store/json.h) against jansson.
 *
 * Properties:
 *   - the scanner never reads out of bounds;
 *   - when it accepts a text, jansson with JSON_REJECT_DUPLICATES accepts
 *     the whole array and every element on its own, and the raw key spans
 *     the scanner reports ("id", "status", ...) decode to the value jansson
 *     sees for that key ("" when absent or not a string, as jstr0 says);
 *   - when jansson refuses a text (plain, or with JSON_REJECT_DUPLICATES:
 *     checking the stricter one checks both), the scanner refuses it too (a
 *     UTF-8 byte order mark, which the scanner allows on purpose, is taken
 *     off first);
 *   - a queue loaded from an accepted text and formatted with no entry
 *     touched keeps every entry's bytes, and formatting that again gives
 *     the same bytes.
 */
#include "store/queue.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_elements(const char *text, const struct jelem *el, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_error_t je;
		json_t *v = json_loadb(text + el[i].off, el[i].len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
		if (!v)
			abort();	/* the scanner accepted what jansson refuses */
		if (!el[i].is_object || !json_is_object(v))
			abort();
		for (int k = 0; k < JK_NKEYS; k++) {
			char *got = jstr_decode(text + el[i].key[k].off, el[i].key[k].len);
			if (strcmp(got, jstr0(v, jkey_names[k])))
				abort();	/* the scanner's view of a key differs */
			free(got);
		}
		json_decref(v);
	}
}

/* Load text as a queue file (a memfd: no file left behind) and format it. */
static int
load_format(const char *text, size_t size, struct queue *q, struct buf *out)
{
	int fd = memfd_create("fuzz_jscan", MFD_CLOEXEC);
	if (fd < 0 || write_all(fd, text, size) < 0)
		abort();
	char path[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	struct buf err = BUF_INIT;
	int r = queue_load(q, path, &err);
	if (r == 0)
		queue_format(q, out);
	close(fd);
	buf_release(&err);
	return r;
}

static void
check_roundtrip(const char *text, size_t size, const struct jelem *el, size_t n)
{
	struct queue q = QUEUE_INIT, q2 = QUEUE_INIT;
	struct buf out = BUF_INIT, out2 = BUF_INIT;
	if (load_format(text, size, &q, &out) < 0 || q.n != n)
		abort();	/* queue_load refuses what the scanner accepted */
	if (load_format(out.s, out.len, &q2, &out2) < 0 || q2.n != n)
		abort();	/* the formatted queue does not load back */
	for (size_t i = 0; i < n; i++)
		if (q2.e[i].len != el[i].len || memcmp(out.s + q2.e[i].off, text + el[i].off, el[i].len))
			abort();	/* an untouched entry's bytes changed */
	if (out2.len != out.len || memcmp(out.s, out2.s, out.len))
		abort();	/* formatting is not stable */
	queue_release(&q);
	queue_release(&q2);
	buf_release(&out);
	buf_release(&out2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy: ASan catches a read one past the end */
	char *text = malloc(size ? size : 1);
	memcpy(text, data, size);
	struct jelem *el = NULL;
	size_t n = 0;
	struct buf err = BUF_INIT;
	int ok = jscan_array(text, size, &el, &n, &err) == 0;

	size_t bom = size >= 3 && !memcmp(text, "\xef\xbb\xbf", 3) ? 3 : 0;
	json_error_t je;
	json_t *strict = json_loadb(text + bom, size - bom, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
	if (ok && (!strict || !json_is_array(strict) || json_array_size(strict) != n))
		abort();	/* the scanner accepted what jansson refuses */
	if (ok) {
		check_elements(text, el, n);
		check_roundtrip(text, size, el, n);
	}
	json_decref(strict);
	free(el);
	buf_release(&err);
	free(text);
	return 0;
}
