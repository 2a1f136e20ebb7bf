/* test_term.c - text made safe for a terminal (util: buf_add_term,
 * fprintf_term): controls escaped, UTF-8 text kept, pieces cut anywhere. */
#include "unit.h"
#include "util/util.h"

#include <stdlib.h>
#include <string.h>

/* The whole of s (n bytes) through buf_add_term in one piece. */
static char *
esc(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	size_t used = buf_add_term(&b, s, n, 0);
	if (used != n)
		buf_addf(&b, "<used %zu of %zu>", used, n);
	return buf_detach(&b);
}

/* s through buf_add_term in pieces of k bytes, carrying what a piece
 * leaves over into the next, as a reader of a pipe does. */
static char *
esc_pieces(const char *s, size_t n, size_t k)
{
	struct buf b = BUF_INIT, carry = BUF_INIT;
	for (size_t i = 0; i < n; i += k) {
		buf_add(&carry, s + i, i + k <= n ? k : n - i);
		size_t used = buf_add_term(&b, carry.s, carry.len, 1);
		memmove(carry.s, carry.s + used, carry.len - used);
		carry.len -= used;
	}
	buf_add_term(&b, carry.s ? carry.s : "", carry.len, 0);
	buf_release(&carry);
	return buf_detach(&b);
}

int
main(void)
{
	const struct {
		const char *in;
		size_t n;
		const char *want, *what;
	} t[] = {
		{ "plain text\tand a tab\n", 0, "plain text\tand a tab\n", "printable ASCII, \\t and \\n unchanged" },
		{ "\x1b]52;c;aGVsbG8=\x07", 0, "\\x1b]52;c;aGVsbG8=\\x07", "OSC 52 (clipboard): ESC and BEL escaped" },
		{ "\x1b[2J\x1b[H", 0, "\\x1b[2J\\x1b[H", "CSI 2J (clear screen)" },
		{ "before\rafter", 0, "before\\x0dafter", "a bare CR escaped" },
		{ "nul\0end", 7, "nul\\x00end", "NUL" },
		{ "del\x7f", 0, "del\\x7f", "DEL" },
		{ "\xc2\x9b" "31m", 0, "\\xc2\\x9b31m", "C1 CSI in UTF-8 (U+009B): both bytes" },
		{ "\xc2\x80\xc2\x9f\xc2\xa0", 0, "\\xc2\\x80\\xc2\\x9f\xc2\xa0", "U+0080 and U+009F escaped, U+00A0 kept" },
		{ "raw \x9b c1", 0, "raw \\x9b c1", "a raw C1 byte (not UTF-8)" },
		{ "\xff\xfe", 0, "\\xff\\xfe", "bytes that are never UTF-8" },
		{ "\xc0\xaf", 0, "\\xc0\\xaf", "an overlong sequence" },
		{ "\xed\xa0\x80", 0, "\\xed\\xa0\\x80", "a surrogate" },
		{ "cut \xe2\x82", 0, "cut \\xe2\\x82", "a truncated sequence at the very end" },
		{ "\xe2\x82x", 0, "\\xe2\\x82x", "a sequence broken by ASCII" },
		{ "\xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad", 0, "\xc3\xbc \xe2\x82\xac \xf0\x9f\x98\x80 \xe4\xb8\xad",
		  "valid UTF-8 (ü € 😀 中) unchanged" },
		{ "back\\x1b slash", 0, "back\\x1b slash", "a backslash is text" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		char *got = esc(t[i].in, t[i].n ? t[i].n : strlen(t[i].in));
		CHECK_STR(got, t[i].want, "%s", t[i].what);
		free(got);
	}

	/* partial: an incomplete character at the end waits for the next piece */
	struct buf b = BUF_INIT;
	size_t used = buf_add_term(&b, "ab\xf0\x9f\x98", 5, 1);
	CHECK(used == 2 && !strcmp(buf_cstr(&b), "ab"), "partial: 3 bytes of an emoji left over (used %zu)", used);
	buf_reset(&b);
	used = buf_add_term(&b, "ab\xff", 3, 1);
	CHECK(used == 3 && !strcmp(buf_cstr(&b), "ab\\xff"), "partial: an invalid last byte is escaped at once");
	buf_reset(&b);
	used = buf_add_term(&b, "\x1b", 1, 1);
	CHECK(used == 1 && !strcmp(buf_cstr(&b), "\\x1b"), "partial: a control at the end is not held back");
	buf_release(&b);

	/* any cut: pieces give what one piece gives */
	struct buf all = BUF_INIT;
	for (int i = 0; i < 300; i++)
		buf_adds(&all, "x\xc3\xbc\xf0\x9f\x98\x80\xe2\x82\xac\x1b[0m\r\xc2\x9b\xff\n");
	char *whole = esc(all.s, all.len);
	int same = 1;
	for (size_t k = 1; k <= 9; k++) {
		char *p = esc_pieces(all.s, all.len, k);
		same &= !strcmp(p, whole);
		free(p);
	}
	CHECK(same, "cut into pieces of 1..9 bytes: the same text");
	CHECK(strstr(whole, "x\xc3\xbc\xf0\x9f\x98\x80\xe2\x82\xac\\x1b[0m\\x0d\\xc2\\x9b\\xff\n") != NULL,
	      "and it is the right text");
	free(whole);
	buf_release(&all);

	/* the result never holds a control byte or invalid UTF-8 */
	char every[256];
	for (int c = 0; c < 256; c++)
		every[c] = (char)c;
	char *e = esc(every, sizeof every);
	int clean = utf8_valid(e, strlen(e));
	for (const unsigned char *p = (const unsigned char *)e; *p; p++)
		clean &= *p >= 0x20 || *p == '\n' || *p == '\t';
	clean &= !strchr(e, 0x7f);
	CHECK(clean, "every byte value: nothing a terminal would act on is left");
	free(e);

	/* fprintf_term: a whole line, formatted, then escaped */
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = open_memstream(&mem, &memlen);
	fprintf_term(f, "%s: %-4s| %s\n", "r1", "ok", "\x1b[2Jboom\r");
	fclose(f);
	CHECK_STR(mem, "r1: ok  | \\x1b[2Jboom\\x0d\n", "fprintf_term: ros's text as it is, the rest escaped");
	free(mem);
	return UNIT_DONE();
}
