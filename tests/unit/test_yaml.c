/*
 * test_yaml.c - the YAML reader and surgical editor (src/store/yaml.c).
 *
 * Checks on the real registry of a research-os root read it from
 * $ROS_COMPAT_DIR (default ../shared/compat/research-os-root, relative to
 * the directory the test runs in); without it they are skipped with
 * "# skip" lines.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "store/registry.h"
#include "store/yaml.h"
#include "unit.h"

static const char *compat_dir;

/* text with the only occurrence of old replaced by new; NULL if old does
 * not occur exactly once. */
static char *
replace_once(const char *text, const char *old, const char *new)
{
	const char *p = strstr(text, old);
	if (!p || strstr(p + 1, old))
		return NULL;
	return xasprintf("%.*s%s%s", (int)(p - text), text, new, p + strlen(old));
}

static int
parse_str(struct ydoc *d, const char *text, struct buf *err)
{
	buf_reset(err);
	return ydoc_parse(d, "t.yaml", text, strlen(text), err);
}

/* An edit on a fresh parse of text; returns the new text (or NULL on
 * failure, with the message in err). */
typedef int (*edit_fn)(struct ydoc *d, struct buf *err);

static char *
edited(const char *text, edit_fn fn, struct buf *err)
{
	struct ydoc d;
	char *r = NULL;
	if (parse_str(&d, text, err) < 0)
		return NULL;
	if (fn(&d, err) == 0)
		r = xstrndup(d.text, d.len);
	ydoc_release(&d);
	return r;
}

#define CHECK_TEXT(got, want, ...) do { char *g2_ = (got), *w2_ = (want); \
	CHECK_STR(g2_, w2_, __VA_ARGS__); free(g2_); free(w2_); } while (0)

/* ---- yaml_quote ---- */

static void
test_quote(void)
{
	static const struct { const char *in, *out; } t[] = {
		{ "ssh8.vast.ai", "ssh8.vast.ai" },
		{ "root", "root" },
		{ "~/.ssh/vastai_id_ed25519", "~/.ssh/vastai_id_ed25519" },
		{ "a b c", "a b c" },
		{ "http://x:8080/y", "http://x:8080/y" },
		{ "≤500 rows — ok", "≤500 rows — ok" },
		{ "", "\"\"" },
		{ "yes", "\"yes\"" },
		{ "No", "\"No\"" },
		{ "off", "\"off\"" },
		{ "true", "\"true\"" },
		{ "null", "\"null\"" },
		{ "~", "\"~\"" },
		{ "1.5", "\"1.5\"" },
		{ "22607", "\"22607\"" },
		{ "-3", "\"-3\"" },
		{ ".5", "\".5\"" },
		{ ".inf", "\".inf\"" },
		{ "2025-05-29", "\"2025-05-29\"" },
		{ "a: b", "\"a: b\"" },
		{ "a:", "\"a:\"" },
		{ "x #y", "\"x #y\"" },
		{ "#x", "\"#x\"" },
		{ "-x", "\"-x\"" },
		{ "*a", "\"*a\"" },
		{ "&a", "\"&a\"" },
		{ "!t", "\"!t\"" },
		{ "[1]", "\"[1]\"" },
		{ "{a}", "\"{a}\"" },
		{ "|", "\"|\"" },
		{ ">", "\">\"" },
		{ "@x", "\"@x\"" },
		{ "`x", "\"`x\"" },
		{ "%x", "\"%x\"" },
		{ "?x", "\"?x\"" },
		{ " lead", "\" lead\"" },
		{ "trail ", "\"trail \"" },
		{ "a\nb", "\"a\\nb\"" },
		{ "a\tb", "\"a\\tb\"" },
		{ "\r", "\"\\r\"" },
		{ "\x01", "\"\\x01\"" },
		{ "\x7f", "\"\\x7F\"" },
		{ "\xc2\x85", "\"\\x85\"" },
		{ "\xe2\x80\xa8", "\"\\u2028\"" },
		{ "\xff", "\"\\uFFFD\"" },
		{ "say \"hi\"", "say \"hi\"" },
		{ "\"q\"", "\"\\\"q\\\"\"" },
		{ "'q'", "\"'q'\"" },
		{ "back\\slash", "back\\slash" },
		{ "a\\b\nc", "\"a\\\\b\\nc\"" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		char *q = yaml_quote(t[i].in);
		CHECK_STR(q, t[i].out, "yaml_quote case %zu", i);
		/* And it reads back as the same string. */
		struct ydoc d;
		struct buf err = BUF_INIT;
		char *doc = xasprintf("k: %s\n", q);
		int ok = ydoc_parse(&d, "q", doc, strlen(doc), &err) == 0;
		const char *in = t[i].in;
		const char *back = ok ? ymap_str(d.root, "k") : NULL;
		if (!strcmp(in, "\xff"))
			in = "\xef\xbf\xbd";
		CHECK(back && !strcmp(back, in), "yaml_quote case %zu reads back", i);
		ydoc_release(&d);
		buf_release(&err);
		free(doc);
		free(q);
	}
}

/* ---- parsing ---- */

static void
test_parse_basics(void)
{
	struct ydoc d;
	struct buf err = BUF_INIT;
	const char *text =
		"# top\n"
		"a: 1\n"
		"b: ~\n"
		"c:\n"
		"d: null\n"
		"e: 'null'\n"
		"f: \"x\\ty\"\n"
		"g: [1, two, {h: 3}]\n"
		"i:\n"
		"  j: yes\n"
		"  k: Off\n"
		"  l: 0.094\n"
		"  m: -12\n"
		"  n: 0x1F\n"
		"  o: 1_000\n"
		"  p: \"42\"\n"
		"  q: 1e3\n"
		"  r: maybe\n"
		"s: |\n"
		"  line1\n"
		"  line2\n"
		"t: >-\n"
		"  folded\n"
		"  text\n"
		"\n"
		"u: end\n";
	CHECK(parse_str(&d, text, &err) == 0, "basic document parses");
	if (!d.root)
		return;
	CHECK(d.root->type == Y_MAP && d.root->n == 11, "root is a mapping of 11 pairs");
	CHECK(d.ndups == 0, "no duplicates");
	struct ynode *a = ymap_get(d.root, "a");
	CHECK(a && a->line == 2 && a->col == 4 && a->start == 9 && a->end == 10, "position of a");
	CHECK(ymap_get(d.root, "b")->plain_null && !ymap_str(d.root, "b"), "~ is null");
	CHECK(ymap_get(d.root, "c")->plain_null && !ymap_str(d.root, "c"), "empty is null");
	CHECK(ymap_get(d.root, "d")->plain_null && !ymap_str(d.root, "d"), "null is null");
	CHECK_STR(ymap_str(d.root, "e"), "null", "quoted 'null' is a string");
	CHECK_STR(ymap_str(d.root, "f"), "x\ty", "double-quoted escapes decoded");
	CHECK(ymap_get(d.root, "f")->style == YS_DOUBLE, "double-quoted style");
	struct ynode *g = ymap_get(d.root, "g");
	CHECK(g && g->type == Y_SEQ && g->n == 3 && g->style == YC_FLOW, "flow sequence");
	CHECK(g && text[g->start] == '[' && text[g->end - 1] == ']', "flow sequence span");
	CHECK_STR(ymap_str(ypath(d.root, "g.2"), "h"), "3", "ypath indexes sequences");
	CHECK(ymap_str(ypath(d.root, "g.1"), "x") == NULL, "ymap_str on a scalar is NULL");
	CHECK(ypath(d.root, "g.3") == NULL && ypath(d.root, "i.zz") == NULL, "ypath misses");
	int bv = -1;
	long long lv = 0;
	double dv = 0;
	CHECK(ynode_bool(ypath(d.root, "i.j"), &bv) == 0 && bv == 1, "yes is true");
	CHECK(ynode_bool(ypath(d.root, "i.k"), &bv) == 0 && bv == 0, "Off is false");
	CHECK(ynode_bool(ypath(d.root, "i.r"), &bv) == -1, "maybe is not a bool");
	CHECK(ynode_double(ypath(d.root, "i.l"), &dv) == 0 && dv == 0.094, "0.094");
	CHECK(ynode_long(ypath(d.root, "i.m"), &lv) == 0 && lv == -12, "-12");
	CHECK(ynode_long(ypath(d.root, "i.n"), &lv) == 0 && lv == 31, "0x1F");
	CHECK(ynode_long(ypath(d.root, "i.o"), &lv) == 0 && lv == 1000, "1_000");
	CHECK(ynode_long(ypath(d.root, "i.p"), &lv) == 0 && lv == 42, "quoted \"42\" reads as 42");
	CHECK(ynode_long(ypath(d.root, "i.l"), &lv) == -1, "0.094 is not an integer");
	struct ynode big = { .type = Y_SCALAR, .value = "9223372036854775808" };
	CHECK(ynode_long(&big, &lv) == -1, "2^63 overflows");
	big.value = "-9223372036854775808";
	CHECK(ynode_long(&big, &lv) == 0 && lv == LLONG_MIN, "-2^63 fits");
	big.value = "0b101";
	CHECK(ynode_long(&big, &lv) == 0 && lv == 5, "0b101");
	big.value = "1__";
	CHECK(ynode_long(&big, &lv) == -1, "trailing _ refused");
	big.value = "nan";
	CHECK(ynode_double(&big, &dv) == -1, "nan is not a double here");
	CHECK(ynode_double(ypath(d.root, "i.q"), &dv) == 0 && dv == 1000, "1e3 as a double");
	CHECK(ynode_long(ymap_get(d.root, "b"), &lv) == -1, "null is not a number");
	CHECK(ynode_long(ypath(d.root, "i"), &lv) == -1, "a mapping is not a number");
	CHECK_STR(ymap_str(d.root, "s"), "line1\nline2\n", "literal block");
	CHECK_STR(ymap_str(d.root, "t"), "folded text", "folded block");
	struct ynode *t = ymap_get(d.root, "t");
	CHECK(t && t->style == YS_FOLDED && text[t->start] == '>', "folded scalar starts at '>'");
	ydoc_release(&d);
	CHECK(d.root == NULL && d.text == NULL, "release zeroes the doc");
	ydoc_release(&d);

	CHECK(parse_str(&d, "# only a comment\n", &err) == 0 && d.root == NULL,
	      "a document of comments has no root");
	ydoc_release(&d);
	CHECK(parse_str(&d, "", &err) == 0 && d.root == NULL, "an empty document has no root");
	ydoc_release(&d);
	buf_release(&err);
}

static void
test_parse_errors(void)
{
	struct ydoc d;
	struct buf err = BUF_INIT;

	CHECK(parse_str(&d, "a: 1\nb: \"x\\qy\"\n", &err) == -1, "unknown escape refused");
	CHECK(strstr(err.s, "t.yaml:2:7: found unknown escape character 'q'") != NULL,
	      "unknown escape: position of the character and which one (%s)", err.s);
	CHECK(d.root == NULL && d.text == NULL, "failed parse leaves an empty doc");
	ydoc_release(&d);

	buf_reset(&err);
	CHECK(ydoc_parse(&d, "t.yaml", "a: 1\nb: x\0y\n", 12, &err) == -1 &&
		      strstr(err.s, "t.yaml:2:5: NUL byte"),
	      "NUL byte refused with its position (%s)", err.s);
	CHECK(parse_str(&d, "a: é\nb: x\xffy\n", &err) == -1 &&
		      strstr(err.s, "t.yaml:2:5: invalid UTF-8"),
	      "invalid UTF-8 refused with its position (%s)", err.s);
	CHECK(parse_str(&d, "a: é\nb: x\x01y\n", &err) == -1 &&
		      strstr(err.s, "t.yaml:2:5: control characters are not allowed (U+0001)"),
	      "control character refused with its position (%s)", err.s);
	CHECK(parse_str(&d, "a: \"x\\0y\"\n", &err) == -1 && strstr(err.s, "NUL"),
	      "\\0 escape refused (%s)", err.s);
	CHECK(parse_str(&d, "a: 1\n---\nb: 2\n", &err) == -1 &&
		      strstr(err.s, "t.yaml:2:1: a second YAML document"),
	      "second document refused (%s)", err.s);
	CHECK(parse_str(&d, "a: [1, 2\nb: 3\n", &err) == -1 && strstr(err.s, "t.yaml:"),
	      "syntax error (%s)", err.s);
	CHECK(parse_str(&d, "a:\n  - x\n  y: 2\n", &err) == -1 && strstr(err.s, "t.yaml:3:"),
	      "bad indentation (%s)", err.s);
	CHECK(parse_str(&d, "a: *nope\n", &err) == -1 &&
		      strstr(err.s, "t.yaml:1:4: alias *nope refers to an anchor not defined"),
	      "undefined alias (%s)", err.s);
	CHECK(parse_str(&d, "a: &x [1, *x]\n", &err) == -1 &&
		      strstr(err.s, "alias *x refers to a collection that contains it"),
	      "recursive alias (%s)", err.s);
	ydoc_release(&d);

	/* Nesting: 1000 collections deep is read, deeper is refused where it
	 * goes too deep (60000 '[' given to fuzz_yaml_parse: the tree's
	 * recursion ran out of stack; libyaml's time grows with the square of
	 * the depth). */
	{
		struct buf deep = BUF_INIT;
		for (int i = 0; i < 1000; i++)
			buf_addc(&deep, '[');
		for (int i = 0; i < 1000; i++)
			buf_addc(&deep, ']');
		CHECK(parse_str(&d, deep.s, &err) == 0 && d.root && d.root->n == 1,
		      "1000 nested lists are read (%s)", buf_cstr(&err));
		ydoc_release(&d);
		buf_reset(&deep);
		buf_adds(&deep, "workers:\n  - a: ");
		for (int i = 0; i < 5000; i++)
			buf_addc(&deep, '[');
		for (int i = 0; i < 5000; i++)
			buf_addc(&deep, ']');
		CHECK(parse_str(&d, deep.s, &err) == -1 &&
			      strstr(buf_cstr(&err), "t.yaml:2:1005: more than 1000 nested collections"),
		      "5003 are refused at the first too deep (%s)", buf_cstr(&err));
		ydoc_release(&d);
		buf_release(&deep);
	}
	buf_reset(&err);
	CHECK(ydoc_load(&d, "/nonexistent/w.yaml", &err) == -1 &&
		      strstr(err.s, "/nonexistent/w.yaml: cannot read"),
	      "missing file (%s)", err.s);
	buf_release(&err);
}

static void
test_aliases_dups(void)
{
	struct ydoc d;
	struct buf err = BUF_INIT;
	const char *text =
		"base: &b\n"
		"  user: root\n"
		"  port: 22\n"
		"w1:\n"
		"  <<: *b\n"
		"  port: 2222\n"
		"w2:\n"
		"  <<: [*b, {host: h}]\n"
		"w3: *b\n"
		"k: v1\n"
		"k: v2\n"
		"k: v3\n";
	CHECK(parse_str(&d, text, &err) == 0, "aliases and merge keys parse (%s)", err.s);
	if (!d.root)
		return;
	CHECK_STR(ymap_str(ymap_get(d.root, "w1"), "user"), "root", "merged key");
	CHECK_STR(ymap_str(ymap_get(d.root, "w1"), "port"), "2222", "explicit key beats merge");
	CHECK_STR(ymap_str(ymap_get(d.root, "w2"), "host"), "h", "merge of a list");
	CHECK_STR(ymap_str(ymap_get(d.root, "w2"), "port"), "22", "merge of a list (alias)");
	struct ynode *w3 = ymap_get(d.root, "w3");
	CHECK(w3 && w3->alias_of == ymap_get(d.root, "base") && w3->line == 9 && w3->col == 5,
	      "alias node knows its anchor and its own position");
	CHECK_STR(ymap_str(w3, "port"), "22", "lookup through an alias");
	CHECK(yedit_set(&d, w3, "port", "1", &err) == -1 && strstr(err.s, "alias"),
	      "no edit through an alias (%s)", err.s);
	CHECK_STR(ymap_str(d.root, "k"), "v3", "last duplicate wins");
	CHECK(d.ndups == 2 && !strcmp(d.dups[0].key, "k") && d.dups[0].line1 == 10 &&
		      d.dups[0].line2 == 11 && d.dups[1].line1 == 11 && d.dups[1].line2 == 12 &&
		      d.dups[0].map == d.root,
	      "duplicates paired with the occurrence before");
	CHECK(ymap_key(d.root, "k")->line == 12, "ymap_key gives the last key");
	ydoc_release(&d);
	buf_release(&err);
}

/* ---- edits on small documents ---- */

static int
ed_set_c(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, d->root, "c", "new", err);
}

static int
ed_set_a_quoted(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, d->root, "a", "x: y", err);
}

static int
ed_set_a_num(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, d->root, "a", "22", err);
}

static int
ed_raw_a(struct ydoc *d, struct buf *err)
{
	return yedit_set_raw(d, d->root, "a", "22", err);
}

static int
ed_raw_null(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, d->root, "a", NULL, err);
}

static int
ed_set_b_single(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, d->root, "b", "it's", err);
}

static int
ed_set_b_single_nl(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, d->root, "b", "two\nlines", err);
}

static int
ed_set_new(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, d->root, "new key", "v", err);
}

static int
ed_flow(struct ydoc *d, struct buf *err)
{
	if (yedit_set(d, ymap_get(d->root, "f"), "z", "a,b", err) < 0)
		return -1;
	if (yedit_set_raw(d, ymap_get(d->root, "e"), "z", "true", err) < 0)
		return -1;
	return yedit_set(d, ymap_get(d->root, "f"), "x", "2", err);
}

static int
ed_flow_bad(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, ymap_get(d->root, "f"), "y", "a,b", err);
}

static int
ed_enabled(struct ydoc *d, struct buf *err)
{
	struct ynode *w = yseq_find(ymap_get(d->root, "workers"), "worker_id", "a");
	return yedit_set_raw(d, w, "enabled", "false", err);
}

static int
ed_nested(struct ydoc *d, struct buf *err)
{
	struct ynode *w = yseq_find(ymap_get(d->root, "workers"), "worker_id", "a");
	return yedit_set(d, ymap_get(w, "ssh"), "user", "root", err);
}

static int
ed_append(struct ydoc *d, struct buf *err)
{
	return yedit_append_item(d, ymap_get(d->root, "workers"), "worker_id: c\nkind: ssh\nssh:\n  host: h\n", err);
}

static int
ed_append_to(struct ydoc *d, struct buf *err)
{
	return yedit_append_to(d, NULL, "workers", "worker_id: c\nkind: ssh\n", err);
}

static int
ed_set_key_x(struct ydoc *d, struct buf *err)
{
	const struct ynode *m = d->root;
	if (m && m->type == Y_SEQ)
		m = m->items[0];
	return yedit_set(d, m, m && m->n ? m->items[0]->value : "k", "x", err);
}

static int
ed_set_l(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, d->root, "l", "x", err);
}

static int
ed_append_tags(struct ydoc *d, struct buf *err)
{
	return yedit_append_item(d, ymap_get(d->root, "tags"), "c", err);
}

static int
ed_quoted_key(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, d->root, "a: b", "v", err);
}

static void
test_more_edits(void)
{
	struct buf err = BUF_INIT;
	struct ydoc d;

	CHECK(parse_str(&d, "\xef\xbb\xbf" "a: 1\nb: é\nc: 2\n", &err) == 0 &&
		      ymap_get(d.root, "a")->start == 6 && ymap_get(d.root, "c")->start == 17,
	      "byte order mark: offsets stay byte offsets");
	ydoc_release(&d);
	CHECK(parse_str(&d, "\xef\xbb\xbf" "a: 1\n", &err) == 0 && ymap_get(d.root, "a")->start == 6 &&
		      ymap_get(d.root, "a")->col == 4,
	      "byte order mark, ASCII text");
	ydoc_release(&d);
	CHECK(parse_str(&d, "\xef\xbb\xbf" "a: \"\\q\"\n", &err) == -1 && strstr(err.s, "t.yaml:1:6: "),
	      "byte order mark: error column (%s)", err.s);
	CHECK_TEXT(edited("名前: 値  # コメント\nz: 1\n", ed_set_key_x, &err),
		   xstrdup("名前: x  # コメント\nz: 1\n"), "non-ASCII key, value and comment");
	CHECK_TEXT(edited("a: &A v\nl: *A\n", ed_set_key_x, &err), xstrdup("a: &A x\nl: *A\n"),
		   "anchor kept when its scalar is replaced");
	CHECK_TEXT(edited("a: &A v\nl: *A\n", ed_set_l, &err), xstrdup("a: &A v\nl: x\n"),
		   "alias replaced by a scalar");
	CHECK_TEXT(edited("a: &A\nb: 1\n", ed_set_key_x, &err), xstrdup("a: &A x\nb: 1\n"),
		   "empty anchored value set");
	CHECK_TEXT(edited("l: |+\n  keep\n\n", ed_set_key_x, &err), xstrdup("l: \"x\"\n\n"),
		   "keep-chomping literal replaced, blank line after it stays");
	CHECK_TEXT(edited("l: plain\n  continued\nm: 1\n", ed_set_key_x, &err), xstrdup("l: x\nm: 1\n"),
		   "multi-line plain scalar replaced");
	CHECK_TEXT(edited("- {k: 1}\n", ed_set_key_x, &err), xstrdup("- {k: x}\n"),
		   "flow mapping inside a block sequence");
	CHECK(edited("- a: 1\n  b: 2\n", ed_quoted_key, &err) == NULL &&
		      strstr(err.s, "not a mapping"),
	      "root is a sequence (%s)", err.s);
	CHECK_TEXT(edited("a: 1\n", ed_quoted_key, &err), xstrdup("a: 1\n\"a: b\": v\n"),
		   "a key that needs quoting is quoted");
	CHECK_TEXT(edited("tags:\n  - a\n  - b\nx: 1\n", ed_append_tags, &err),
		   xstrdup("tags:\n  - a\n  - b\n  - c\nx: 1\n"), "scalar appended to a list");
	CHECK_TEXT(edited("tags:\n  -   a\n  -   b # c\n", ed_append_tags, &err),
		   xstrdup("tags:\n  -   a\n  -   b # c\n  -   c\n"), "item spacing copied");
	CHECK_TEXT(edited("tags:\n  -\n    a\n", ed_append_tags, &err),
		   xstrdup("tags:\n  -\n    a\n  - c\n"), "item on the line after its dash");
	CHECK_TEXT(edited("tags: &t\n  - a\n", ed_append_tags, &err),
		   xstrdup("tags: &t\n  - a\n  - c\n"), "anchored list");
	buf_release(&err);
}

static void
test_small_edits(void)
{
	struct buf err = BUF_INIT;
	const char *t1 = "a: 1  # one\nb: 'q'\nc:\nd: x\n";

	CHECK_TEXT(edited(t1, ed_set_c, &err), xstrdup("a: 1  # one\nb: 'q'\nc: new\nd: x\n"),
		   "set an empty value");
	CHECK_TEXT(edited("c: \n", ed_set_c, &err), xstrdup("c: new\n"),
		   "set an empty value with a trailing blank");
	CHECK_TEXT(edited("c:  # later\n", ed_set_c, &err), xstrdup("c: new  # later\n"),
		   "set an empty value before a comment");
	CHECK_TEXT(edited("c:", ed_set_c, &err), xstrdup("c: new"), "set an empty value at EOF");
	CHECK_TEXT(edited(t1, ed_set_a_quoted, &err),
		   xstrdup("a: \"x: y\"  # one\nb: 'q'\nc:\nd: x\n"), "plain becomes double-quoted");
	CHECK_TEXT(edited(t1, ed_set_a_num, &err), xstrdup("a: \"22\"  # one\nb: 'q'\nc:\nd: x\n"),
		   "a string that looks like a number is quoted");
	CHECK_TEXT(edited(t1, ed_raw_a, &err), xstrdup("a: 22  # one\nb: 'q'\nc:\nd: x\n"),
		   "raw number");
	CHECK_TEXT(edited(t1, ed_raw_null, &err), xstrdup("a: null  # one\nb: 'q'\nc:\nd: x\n"),
		   "NULL value writes null");
	CHECK_TEXT(edited(t1, ed_set_b_single, &err), xstrdup("a: 1  # one\nb: 'it''s'\nc:\nd: x\n"),
		   "single-quoted stays single-quoted");
	CHECK_TEXT(edited(t1, ed_set_b_single_nl, &err),
		   xstrdup("a: 1  # one\nb: \"two\\nlines\"\nc:\nd: x\n"),
		   "single-quoted becomes double-quoted for a newline");
	CHECK_TEXT(edited(t1, ed_set_new, &err), xstrdup("a: 1  # one\nb: 'q'\nc:\nd: x\nnew key: v\n"),
		   "missing key appended");
	CHECK_TEXT(edited("a: 1\nb: 2", ed_set_new, &err), xstrdup("a: 1\nb: 2\nnew key: v\n"),
		   "missing key appended after a last line without newline");
	CHECK_TEXT(edited("a: 1\r\nb: 2\r\n", ed_set_new, &err), xstrdup("a: 1\r\nb: 2\r\nnew key: v\r\n"),
		   "CRLF file gets CRLF lines");
	CHECK_TEXT(edited("e: {}\nf: {x: 1, y: [2] }\n", ed_flow, &err),
		   xstrdup("e: {z: true}\nf: {x: \"2\", y: [2], z: \"a,b\" }\n"),
		   "flow mapping edits");
	CHECK(edited("e: {}\nf: {x: 1, y: [2] }\n", ed_flow_bad, &err) == NULL,
	      "setting a key whose value is a sequence fails");
	CHECK(strstr(err.s, "its value is a sequence") != NULL, "and says why (%s)", err.s);

	const char *reg =
		"workers:\n"
		"  - worker_id: a\n"
		"    kind: ssh\n"
		"    ssh:\n"
		"      host: h1   # old\n"
		"      port: 22\n"
		"    notes: >-\n"
		"      first\n"
		"      second\n"
		"\n"
		"  - worker_id: b\n"
		"    kind: local\n"
		"    enabled: true\n"
		"\n"
		"# trailing comment\n";
	CHECK_TEXT(edited(reg, ed_enabled, &err),
		   replace_once(reg, "      second\n", "      second\n    enabled: false\n"),
		   "enabled added to an entry that lacks it (after a folded note)");
	CHECK_TEXT(edited(reg, ed_nested, &err),
		   replace_once(reg, "      port: 22\n", "      port: 22\n      user: root\n"),
		   "key added to a nested mapping");
	CHECK_TEXT(edited(reg, ed_append, &err),
		   replace_once(reg, "    enabled: true\n",
				"    enabled: true\n\n  - worker_id: c\n    kind: ssh\n    ssh:\n      host: h\n"),
		   "item appended with blank-line separation");
	const char *tight = "workers:\n- worker_id: a\n- worker_id: b\nother: 1\n";
	CHECK_TEXT(edited(tight, ed_append, &err),
		   replace_once(tight, "- worker_id: b\n",
				"- worker_id: b\n- worker_id: c\n  kind: ssh\n  ssh:\n    host: h\n"),
		   "item appended to an indentless list without separation");
	CHECK_TEXT(edited("workers: []\n", ed_append, &err),
		   xstrdup("workers:\n  - worker_id: c\n    kind: ssh\n    ssh:\n      host: h\n"),
		   "item appended to workers: []");
	CHECK_TEXT(edited("root: /x\nworkers:   # none yet\nz: 1\n", ed_append, &err),
		   xstrdup("root: /x\nworkers:   # none yet\n  - worker_id: c\n    kind: ssh\n    ssh:\n      host: h\nz: 1\n"),
		   "item appended to a null workers:");
	CHECK_TEXT(edited("workers: ~", ed_append, &err),
		   xstrdup("workers:\n  - worker_id: c\n    kind: ssh\n    ssh:\n      host: h\n"),
		   "item appended to workers: ~ without a final newline");
	CHECK_TEXT(edited("# registry\n", ed_append_to, &err),
		   xstrdup("# registry\nworkers:\n  - worker_id: c\n    kind: ssh\n"),
		   "workers: created in an empty document");
	CHECK_TEXT(edited("root: /x\n", ed_append_to, &err),
		   xstrdup("root: /x\nworkers:\n  - worker_id: c\n    kind: ssh\n"),
		   "workers: created when missing");
	CHECK(edited("workers: [a]\n", ed_append, &err) == NULL,
	      "appending to a non-empty flow list is refused");
	CHECK(strstr(err.s, "t.yaml:1:10: cannot append to a flow sequence") != NULL,
	      "and says where (%s)", err.s);

	/* Refusals leave the document as it was. */
	struct ydoc d;
	parse_str(&d, reg, &err);
	struct ynode *w = yseq_find(ymap_get(d.root, "workers"), "worker_id", "a");
	buf_reset(&err);
	CHECK(yedit_set(&d, w, "ssh", "x", &err) == -1 && strstr(err.s, "t.yaml:4:5: cannot set ssh"),
	      "setting a mapping value refused (%s)", err.s);
	buf_reset(&err);
	CHECK(yedit_set_raw(&d, w, "kind", "a: b", &err) == -1 && strstr(err.s, "not a single YAML scalar"),
	      "raw value that is not a scalar refused (%s)", err.s);
	buf_reset(&err);
	CHECK(yedit_set_raw(&d, w, "kind", "x\ny", &err) == -1, "raw value with a newline refused");
	buf_reset(&err);
	CHECK(yedit_append_item(&d, ymap_get(d.root, "workers"), "a: [", &err) == -1 &&
		      strstr(err.s, "not valid YAML"),
	      "invalid item refused (%s)", err.s);
	buf_reset(&err);
	CHECK(yedit_set(&d, w, NULL, "x", &err) == -1 && strstr(err.s, "no key"), "NULL key refused");
	CHECK(!strcmp(d.text, reg) && ymap_str(w, "kind") && !strcmp(ymap_str(w, "kind"), "ssh"),
	      "refused edits leave text and nodes alone");
	ydoc_release(&d);
	buf_reset(&err);
	CHECK(yedit_append_to(&d, NULL, "workers", "a: 1\n", &err) == -1 && strstr(err.s, "no document"),
	      "edits on a released document refused (%s)", err.s);
	buf_release(&err);
}

/* ---- appends that must change nothing that is already there ---- */

static int
ed_add_c(struct ydoc *d, struct buf *err)
{
	return yedit_append_to(d, NULL, "workers", "worker_id: c\nkind: ssh\n", err);
}

static int
ed_enable_a(struct ydoc *d, struct buf *err)
{
	return yedit_set_raw(d, yseq_find(ymap_get(d->root, "workers"), "worker_id", "a"), "enabled",
			     "false", err);
}

/* The value at dotted path of worker id in text, or NULL (new string). */
static char *
value_in(const char *text, const char *id, const char *path)
{
	struct ydoc d;
	struct buf err = BUF_INIT;
	char *v = NULL;
	if (ydoc_parse(&d, "t.yaml", text, strlen(text), &err) == 0) {
		const struct ynode *n = ypath(yseq_find(ymap_get(d.root, "workers"), "worker_id", id), path);
		if (n && n->type == Y_SCALAR)
			v = xstrdup(n->value);
	}
	ydoc_release(&d);
	buf_release(&err);
	return v;
}

/* in with worker c appended: the text must be want, and the value at path
 * of worker id must read val before and after. */
static void
check_append(const char *what, const char *in, const char *want, const char *id, const char *path,
	     const char *val)
{
	struct buf err = BUF_INIT;
	char *got = edited(in, ed_add_c, &err);
	CHECK_STR(got, want, "%s: appended (%s)", what, buf_cstr(&err));
	if (got) {
		char *c = value_in(got, "c", "kind");
		CHECK_STR(c, "ssh", "%s: the new worker reads back", what);
		free(c);
	}
	char *before = value_in(in, id, path), *after = got ? value_in(got, id, path) : NULL;
	CHECK_STR(before, val, "%s: %s of %s before", what, path, id);
	CHECK_STR(after, val, "%s: %s of %s unchanged", what, path, id);
	free(before);
	free(after);
	free(got);
	buf_release(&err);
}

static void
test_append_keeps_values(void)
{
	struct buf err = BUF_INIT;

	/* A block scalar ending the file without a line break: the line break
	 * the append needs would join its value, unless it strips. */
	check_append("literal at EOF without newline",
		     "workers:\n  - worker_id: a\n    notes: |\n      first\n      must",
		     "workers:\n  - worker_id: a\n    notes: |-\n      first\n      must\n"
		     "  - worker_id: c\n    kind: ssh\n",
		     "a", "notes", "first\nmust");
	check_append("folded at EOF without newline",
		     "workers:\n  - worker_id: a\n    notes: >  # n\n      first\n      must",
		     "workers:\n  - worker_id: a\n    notes: >-  # n\n      first\n      must\n"
		     "  - worker_id: c\n    kind: ssh\n",
		     "a", "notes", "first must");
	check_append("keep at EOF without newline",
		     "workers:\n  - worker_id: a\n    notes: |+\n      must",
		     "workers:\n  - worker_id: a\n    notes: |-\n      must\n  - worker_id: c\n    kind: ssh\n",
		     "a", "notes", "must");
	check_append("indentation indicator at EOF without newline",
		     "workers:\n  - worker_id: a\n    notes: |2\n        must",
		     "workers:\n  - worker_id: a\n    notes: |-2\n        must\n  - worker_id: c\n    kind: ssh\n",
		     "a", "notes", "  must");
	check_append("strip at EOF without newline",
		     "workers:\n  - worker_id: a\n    notes: |-\n      must",
		     "workers:\n  - worker_id: a\n    notes: |-\n      must\n  - worker_id: c\n    kind: ssh\n",
		     "a", "notes", "must");
	check_append("nested literal at EOF without newline",
		     "workers:\n  - worker_id: a\n    ssh:\n      host: &h |\n        h",
		     "workers:\n  - worker_id: a\n    ssh:\n      host: &h |-\n        h\n"
		     "  - worker_id: c\n    kind: ssh\n",
		     "a", "ssh.host", "h");
	CHECK_TEXT(edited("workers:\n  - worker_id: a\n    notes: |\n      must", ed_enable_a, &err),
		   xstrdup("workers:\n  - worker_id: a\n    notes: |-\n      must\n    enabled: false\n"),
		   "a key added after a literal at EOF without newline (%s)", buf_cstr(&err));

	/* A keep (|+) block scalar holds the blank lines after it. */
	check_append("keep, then the end, in a list set apart by blank lines",
		     "workers:\n  - worker_id: a\n\n  - worker_id: b\n    notes: |+\n      kept\n",
		     "workers:\n  - worker_id: a\n\n  - worker_id: b\n    notes: |+\n      kept\n"
		     "  - worker_id: c\n    kind: ssh\n",
		     "b", "notes", "kept\n");
	check_append("keep with a blank line, then a key",
		     "workers:\n  - worker_id: a\n  - worker_id: b\n    notes: |+\n      kept\n\nother: 1\n",
		     "workers:\n  - worker_id: a\n  - worker_id: b\n    notes: |+\n      kept\n\n"
		     "  - worker_id: c\n    kind: ssh\nother: 1\n",
		     "b", "notes", "kept\n\n");
	check_append("keep with blank lines, then a comment",
		     "workers:\n  - worker_id: b\n    notes: |+\n      kept\n\n\n# end\n",
		     "workers:\n  - worker_id: b\n    notes: |+\n      kept\n\n\n"
		     "  - worker_id: c\n    kind: ssh\n# end\n",
		     "b", "notes", "kept\n\n\n");
	check_append("literal ending in a line of spaces that is content",
		     "workers:\n  - worker_id: a\n    notes: |\n      kept\n        \n\nz: 1\n",
		     "workers:\n  - worker_id: a\n    notes: |\n      kept\n        \n"
		     "  - worker_id: c\n    kind: ssh\n\nz: 1\n",
		     "a", "notes", "kept\n  \n");

	/* Where the new lines go and how they are indented. */
	CHECK_TEXT(edited("? project\n: name: x\n", ed_add_c, &err),
		   xstrdup("? project\n: name: x\nworkers:\n  - worker_id: c\n    kind: ssh\n"),
		   "workers: added to a mapping whose first key is explicit (?), at its indentation (%s)",
		   buf_cstr(&err));
	CHECK_TEXT(edited("? a\n: b: 1\n", ed_set_new, &err), xstrdup("? a\n: b: 1\nnew key: v\n"),
		   "a key added to a mapping whose first key is explicit (%s)", buf_cstr(&err));
	check_append("an explicit key without a value ends the last item",
		     "workers:\n  - worker_id: a\n    ? k\nother:\n  x: 1\n",
		     "workers:\n  - worker_id: a\n    ? k\n  - worker_id: c\n    kind: ssh\nother:\n  x: 1\n",
		     "a", "worker_id", "a");
	/* What the editor cannot place is refused, naming the place, and the
	 * document stays as it was: lines ending in a lone CR, which YAML
	 * reads as line breaks and the editor does not. */
	{
		const char *cr = "workers:\r  - worker_id: a\r    notes: |\r      x\r";
		struct ydoc d;
		CHECK(parse_str(&d, cr, &err) == 0, "a file with CR line breaks parses");
		buf_reset(&err);
		CHECK(ed_add_c(&d, &err) == -1 && strstr(buf_cstr(&err), "t.yaml:2:3: edit refused: "),
		      "an append after CR line breaks is refused, saying where (%s)", buf_cstr(&err));
		CHECK(strstr(buf_cstr(&err), "; line 1 ends with a line break other than \\n or \\r\\n, which the editor does not handle") != NULL,
		      "and why");
		CHECK(d.len == strlen(cr) && !strcmp(d.text, cr) &&
			      ymap_get(d.root, "workers")->n == 1,
		      "and the document is untouched");
		ydoc_release(&d);
	}
	/* Found by fuzz_yaml_append: an anchored empty first key (its anchor
	 * is not the mapping's), an explicit key without a value, a comment
	 * holding ':' between an explicit key and its value. */
	CHECK_TEXT(edited("&a:\n  b: 1\n", ed_add_c, &err),
		   xstrdup("&a:\n  b: 1\nworkers:\n  - worker_id: c\n    kind: ssh\n"),
		   "workers: added after an anchored empty first key (%s)", buf_cstr(&err));
	CHECK_TEXT(edited("name: x\n? workers\n# - w: a\n", ed_add_c, &err),
		   xstrdup("name: x\n? workers\n:\n  - worker_id: c\n    kind: ssh\n# - w: a\n"),
		   "a list given to an explicit key without a value (%s)", buf_cstr(&err));
	CHECK_TEXT(edited("? workers\n# last:", ed_add_c, &err),
		   xstrdup("? workers\n:\n  - worker_id: c\n    kind: ssh\n# last:"),
		   "an explicit key without a value, a comment ending in ':' last (%s)",
		   buf_cstr(&err));
	CHECK_TEXT(edited("? workers # a: b\n: ~\n", ed_add_c, &err),
		   xstrdup("? workers # a: b\n:\n  - worker_id: c\n    kind: ssh\n"),
		   "the ':' of an explicit key found past a comment holding one (%s)", buf_cstr(&err));

	/* Found by fuzz_yaml_append: the list replaces an anchored null and
	 * its anchor, and a later alias of that name would name an earlier
	 * anchor. */
	{
		const char *t = "a: &w [x]\nworkers: &w\nall: *w\n";
		char *r = edited(t, ed_add_c, &err);
		CHECK(r == NULL && strstr(buf_cstr(&err), "t.yaml:3:6: edit refused: it would change this value"),
		      "an append that would make an alias name another anchor is refused (%s)",
		      buf_cstr(&err));
		free(r);
	}

	/* A list that comes from a merge key: a new key would hide it. */
	{
		char *r = edited("defaults: &d\n  workers:\n    - worker_id: a\n<<: *d\n", ed_add_c, &err);
		CHECK(r == NULL && strstr(buf_cstr(&err),
					  "t.yaml:4:1: cannot append to workers: it comes from this merge key"),
		      "an append to a list reached through a merge key is refused (%s)", buf_cstr(&err));
		free(r);
	}
	check_append("an anchored list whose first item is on the line after its dash",
		     "workers: &w\n  -\n    worker_id: a\n",
		     "workers: &w\n  -\n    worker_id: a\n  - worker_id: c\n    kind: ssh\n",
		     "a", "worker_id", "a");
	buf_release(&err);
}

/* ---- registry_set ---- */

/* registry_set(id, dotted, value, quote) on text; the new text, or NULL
 * with the message in err (which is then the old text's). */
static char *
reg_set(const char *text, const char *id, const char *dotted, const char *value, int quote,
	struct buf *err)
{
	struct registry r = REGISTRY_INIT;
	char *out = NULL;
	buf_reset(err);
	r.path = xstrdup("w.yaml");
	if (ydoc_parse(&r.doc, r.path, text, strlen(text), err) == 0 && registry_reindex(&r, err) == 0) {
		if (registry_set(&r, id, dotted, value, quote, err) == 0)
			out = xstrdup(r.doc.text);
		else if (strcmp(r.doc.text, text))
			out = xstrdup("(refused, but the text changed)");
	}
	registry_release(&r);
	return out;
}

/* The ssh.port worker id reads in text (-1: none). */
static int
port_of(const char *text, const char *id)
{
	struct registry r = REGISTRY_INIT;
	struct buf err = BUF_INIT;
	int port = -1;
	r.path = xstrdup("w.yaml");
	if (ydoc_parse(&r.doc, r.path, text, strlen(text), &err) == 0 && registry_reindex(&r, &err) == 0 &&
	    registry_find(&r, id))
		port = registry_find(&r, id)->port;
	registry_release(&r);
	buf_release(&err);
	return port;
}

static void
test_registry_set(void)
{
	struct buf err = BUF_INIT;
	const char *merged = "base: &b\n  kind: ssh\n  ssh:\n    host: h\n    port: 22\n"
			     "workers:\n  - <<: *b\n    worker_id: a\n  - <<: *b\n    worker_id: b\n";
	char *r;

	CHECK_TEXT(reg_set("workers:\n  - worker_id: a\n    ssh:\n      port: 22\n", "a", "ssh.port",
			   "2222", 0, &err),
		   xstrdup("workers:\n  - worker_id: a\n    ssh:\n      port: 2222\n"),
		   "ssh.port set in place (%s)", buf_cstr(&err));
	CHECK_TEXT(reg_set("workers:\n  - worker_id: a\n    kind: ssh\n", "a", "enabled", "false", 0, &err),
		   xstrdup("workers:\n  - worker_id: a\n    kind: ssh\n    enabled: false\n"),
		   "enabled added (%s)", buf_cstr(&err));

	/* A parent mapping that comes from a merge key is shared: setting a
	 * key in it would change every entry that merges it. */
	r = reg_set(merged, "a", "ssh.port", "2222", 0, &err);
	CHECK(r == NULL && strstr(buf_cstr(&err), "w.yaml:7:5: cannot set ssh.port of worker a: its ssh comes from this merge key"),
	      "ssh.port of a worker whose ssh: is merged is refused (%s)", r ? r : buf_cstr(&err));
	free(r);
	CHECK(port_of(merged, "b") == 22, "(the other worker's port is 22)");

	/* A missing parent mapping is created with the key in it. */
	r = reg_set("workers:\n  - worker_id: a\n    kind: local\n", "a", "ssh.port", "2222", 0, &err);
	CHECK_STR(r, "workers:\n  - worker_id: a\n    kind: local\n    ssh: {port: 2222}\n",
		  "ssh: created for ssh.port (%s)", buf_cstr(&err));
	CHECK(r && port_of(r, "a") == 2222, "and it reads back");
	free(r);
	CHECK_TEXT(reg_set("workers:\n  - worker_id: a\n    ssh:\n", "a", "ssh.host", "h x", 1, &err),
		   xstrdup("workers:\n  - worker_id: a\n    ssh: {host: h x}\n"),
		   "a null ssh: becomes a mapping (%s)", buf_cstr(&err));
	r = reg_set("workers:\n  - worker_id: a\n    ssh: h\n", "a", "ssh.port", "2222", 0, &err);
	CHECK(r == NULL && strstr(buf_cstr(&err), "w.yaml:3:10: cannot set ssh.port of worker a: its ssh is not a mapping"),
	      "an ssh: that is a string is not replaced (%s)", r ? r : buf_cstr(&err));
	free(r);
	buf_release(&err);
}

/* ---- kinds ---- */

/* Each worker's kind as read: the type, whether ssh reaches it, and what
 * worker_check says. */
static void
test_registry_kinds(void)
{
	const char *text = "workers:\n"
			   "  - {worker_id: l, kind: local}\n"
			   "  - {worker_id: s, kind: ssh, ssh: {host: h}}\n"
			   "  - {worker_id: d, ssh: {host: h}}\n"
			   "  - {worker_id: c, kind: slurm}\n"
			   "  - {worker_id: cl, kind: slurm, ssh: {host: login}}\n"
			   "  - {worker_id: k, kind: kubernetes}\n"
			   "  - {worker_id: u, kind: SSH, ssh: {host: h}}\n";
	const struct {
		const char *id;
		enum worker_kind type;
		int by_ssh;
		const char *check;
	} t[] = {
		{ "l", WORKER_LOCAL, 0, "" },
		{ "s", WORKER_SSH, 1, "" },
		{ "d", WORKER_SSH, 1, "" },
		{ "c", WORKER_SLURM, 0, "" },
		{ "cl", WORKER_SLURM, 1, "" },
		{ "k", WORKER_UNKNOWN, 0, "worker k: unknown kind 'kubernetes' (local, ssh or slurm)" },
		{ "u", WORKER_UNKNOWN, 0, "worker u: unknown kind 'SSH' (local, ssh or slurm)" },
	};
	struct registry r = REGISTRY_INIT;
	struct buf err = BUF_INIT;
	r.path = xstrdup("w.yaml");
	CHECK(ydoc_parse(&r.doc, r.path, text, strlen(text), &err) == 0 && registry_reindex(&r, &err) == 0,
	      "a registry of every kind reads (%s)", buf_cstr(&err));
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct worker *w = registry_find(&r, t[i].id);
		buf_reset(&err);
		int rc = w ? worker_check(w, &err) : -2;
		CHECK(w && w->type == t[i].type && worker_by_ssh(w) == t[i].by_ssh,
		      "worker %s: type %d, by ssh %d", t[i].id, w ? (int)w->type : -1, w ? worker_by_ssh(w) : -1);
		CHECK(*t[i].check ? rc < 0 && !strcmp(buf_cstr(&err), t[i].check) : rc == 0,
		      "worker %s: worker_check %s", t[i].id, *t[i].check ? t[i].check : "passes");
	}
	/* a worker built from fields to be written: its kind checked as written */
	struct worker probe = { 0 };
	probe.id = (char *)"p";
	probe.kind = (char *)"ssh";
	buf_reset(&err);
	CHECK(worker_check(&probe, &err) < 0 && strstr(buf_cstr(&err), "ssh.host is missing"),
	      "a probe of kind ssh without a host is refused (%s)", buf_cstr(&err));
	probe.kind = (char *)"local";
	buf_reset(&err);
	CHECK(worker_check(&probe, &err) == 0, "a local probe passes");
	char *ws = worker_workspace(registry_find(&r, "l"), "/root-dir");
	CHECK_STR(ws, "/root-dir/workspace", "a local worker's default workspace is under the root");
	free(ws);
	ws = worker_workspace(registry_find(&r, "s"), "/root-dir");
	CHECK_STR(ws, "research-worker", "an ssh worker's default workspace is in its home");
	free(ws);
	registry_release(&r);
	buf_release(&err);
}

/* ---- the real registry ---- */

static char *
compat_path(const char *rel)
{
	return xasprintf("%s/%s", compat_dir, rel);
}

static char *fixed_text;	/* workers.yaml with line 101 repaired */

static struct ynode *
worker(const struct ydoc *d, const char *id)
{
	return yseq_find(ymap_get(d->root, "workers"), "worker_id", id);
}

static int
ed_port4(struct ydoc *d, struct buf *err)
{
	return yedit_set_raw(d, ymap_get(worker(d, "vastai_worker_4"), "ssh"), "port", "27999", err);
}

static int
ed_host4(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, ypath(worker(d, "vastai_worker_4"), "ssh"), "host", "ssh9.vast.ai", err);
}

static int
ed_vram3(struct ydoc *d, struct buf *err)
{
	return yedit_set_raw(d, ymap_get(worker(d, "vastai_worker_3"), "resources"), "vram_gb", "24", err);
}

static int
ed_notes3(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, worker(d, "vastai_worker_3"), "notes", "gone — \"moved\"", err);
}

static int
ed_notes1(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, worker(d, "local_cpu"), "notes", "≤ 2 GB", err);
}

static int
ed_inst3(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, worker(d, "vastai_worker_3"), "instance_id", "38342607", err);
}

static int
ed_inst4(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, worker(d, "vastai_worker_4"), "instance_id", "37907233", err);
}

static int
ed_proxy2(struct ydoc *d, struct buf *err)
{
	return yedit_set(d, ypath(worker(d, "vastai_worker_2"), "ssh"), "proxy_jump", "bastion", err);
}

static int
ed_append5(struct ydoc *d, struct buf *err)
{
	return yedit_append_item(d, ymap_get(d->root, "workers"),
				 "worker_id: vastai_worker_5\nkind: ssh\nenabled: true\nssh:\n  host: ssh1.vast.ai\n  port: 10022\nnotes: >-\n  new box —\n  cheap\n",
				 err);
}

static void
test_compat_registry(void)
{
	struct ydoc d;
	struct buf err = BUF_INIT;
	char *path = compat_path("workers/workers.yaml");
	size_t len;
	char *orig = read_file(path, &len);

	if (!orig) {
		printf("# skip compat registry: cannot read %s\n", path);
		free(path);
		return;
	}
	CHECK(ydoc_load(&d, path, &err) == -1, "the compat registry is refused");
	char *want = xasprintf("%s:101:48: found unknown escape character '|'", path);
	CHECK(strncmp(err.s, want, strlen(want)) == 0, "at 101:48, naming the escape (%s)", err.s);
	CHECK(strstr(err.s, "quoted scalar at line 101, column 21") != NULL,
	      "with where the scalar starts");
	free(want);
	ydoc_release(&d);

	fixed_text = replace_once(orig, "run_experiments\\|", "run_experiments\\\\|");
	CHECK(fixed_text != NULL, "line 101 repaired in memory");
	buf_reset(&err);
	CHECK(ydoc_parse(&d, path, fixed_text, strlen(fixed_text), &err) == 0,
	      "the repaired registry parses (%s)", err.s);
	if (!d.root)
		goto out;
	struct ynode *workers = ymap_get(d.root, "workers");
	CHECK(workers && workers->type == Y_SEQ && workers->n == 4, "four workers");

	static const struct { const char *key; int l1, l2; } dups[] = {
		{ "kind", 3, 22 }, { "enabled", 4, 23 }, { "workspace", 5, 30 },
		{ "runner", 6, 31 }, { "resources", 9, 34 }, { "health", 14, 39 },
		{ "artifact_paths", 17, 42 }, { "notes", 21, 46 },
	};
	CHECK(d.ndups == ARRAY_SIZE(dups), "%zu duplicate keys (want %zu)", d.ndups, ARRAY_SIZE(dups));
	for (size_t i = 0; i < ARRAY_SIZE(dups) && i < d.ndups; i++)
		CHECK(!strcmp(d.dups[i].key, dups[i].key) && d.dups[i].line1 == dups[i].l1 &&
			      d.dups[i].line2 == dups[i].l2 && d.dups[i].map == workers->items[0],
		      "duplicate %s at lines %d and %d (got %s %d %d)", dups[i].key, dups[i].l1,
		      dups[i].l2, d.dups[i].key, d.dups[i].line1, d.dups[i].line2);
	struct ynode *w0 = workers->items[0];
	int b = -1;
	CHECK_STR(ymap_str(w0, "kind"), "ssh", "first worker: the last kind wins");
	CHECK(ynode_bool(ymap_get(w0, "enabled"), &b) == 0 && b == 0, "first worker: enabled false");
	CHECK(ymap_key(w0, "kind")->line == 22, "ymap_key finds the last kind");

	long long port = 0;
	struct ynode *w3 = worker(&d, "vastai_worker_3"), *w4 = worker(&d, "vastai_worker_4");
	CHECK(ynode_long(ypath(w3, "ssh.port"), &port) == 0 && port == 22607,
	      "vastai_worker_3 ssh.port is 22607");
	CHECK(ynode_long(ypath(d.root, "workers.3.ssh.port"), &port) == 0 && port == 27233,
	      "workers.3.ssh.port is 27233");
	CHECK_STR(ymap_str(ypath(w3, "health"), "busy_command"),
		  "pgrep -f 'run_experiments\\|nohup' 2>/dev/null || true", "repaired escape decoded");
	double bw = 0;
	CHECK(ynode_double(ypath(w3, "network.bandwidth_dollar_per_gb"), &bw) == 0 && bw == 0.10,
	      "a value before an inline comment");
	CHECK_STR(ymap_str(w3, "notes"),
		  "2x GTX 1660 Super (6 GB VRAM each, 7.2 TFLOPS total), instance 38342607, host 113492, machine 56491. Max CUDA 13.1. 120 GB disk, 80 CPU available (20 allocated). DLPerf 3.4 / 35.7 DLP/$/hr. $0.097/hr. IP: 43.226.60.148. ACTIVE — back online 2025-05-29, port confirmed 22607. reliability_pct: 90 — use tmux for all long jobs. Multi-GPU: CUDA_VISIBLE_DEVICES=0/1 for parallel independent jobs. Workspace for nbeatsx-dc: /root/nbeatsx-dc venv: /root/nbeatsx_venv (do not touch system python or /root/venv).",
		  "folded notes of vastai_worker_3 decoded");
	struct ynode *n3 = ymap_get(w3, "notes");
	CHECK(n3->line == 106 && n3->col == 12 && d.text[n3->start] == '>', "folded notes position");
	/* After the non-ASCII lines (≤ — ×), byte offsets still point at the bytes. */
	struct ynode *p4 = ypath(w4, "ssh.port");
	CHECK(p4 && p4->end - p4->start == 5 && !memcmp(d.text + p4->start, "27233", 5) &&
		      p4->line == 122 && p4->col == 13,
	      "byte span of a scalar after non-ASCII text");
	struct ynode *w4n = ymap_get(w4, "notes");
	CHECK(w4n && d.text[w4n->start] == '>' && w4n->end == d.len, "last notes run to EOF");
	ydoc_release(&d);

	/* Surgical edits: each compared with the whole expected text. */
	CHECK_TEXT(edited(fixed_text, ed_port4, &err),
		   replace_once(fixed_text, "port: 27233", "port: 27999"),
		   "port of vastai_worker_4 changed in place (%s)", err.s);
	CHECK_TEXT(edited(fixed_text, ed_host4, &err),
		   replace_once(fixed_text, "host: ssh5.vast.ai", "host: ssh9.vast.ai"),
		   "host changed in place, plain");
	CHECK_TEXT(edited(fixed_text, ed_vram3, &err),
		   replace_once(fixed_text, "vram_gb: 12          # 2×", "vram_gb: 24          # 2×"),
		   "value before a non-ASCII comment changed");
	{
		const char *from = strstr(fixed_text, "    notes: >-\n      2x");
		const char *to = strstr(fixed_text, "/root/venv).\n") + strlen("/root/venv).");
		char *want3 = from && to
			? xasprintf("%.*s    notes: \"gone — \\\"moved\\\"\"%s", (int)(from - fixed_text),
				    fixed_text, to)
			: NULL;
		CHECK_TEXT(edited(fixed_text, ed_notes3, &err), want3,
			   "folded notes replaced by a double-quoted line, blank line kept");
	}
	CHECK_TEXT(edited(fixed_text, ed_notes1, &err),
		   replace_once(fixed_text,
				"notes: \"RTX 3070 Laptop GPU, instance 37015889, port may change on restart\"",
				"notes: \"≤ 2 GB\""),
		   "the last of duplicate notes replaced, quoting kept");
	CHECK_TEXT(edited(fixed_text, ed_inst3, &err),
		   replace_once(fixed_text, "/root/venv).\n", "/root/venv).\n    instance_id: \"38342607\"\n"),
		   "instance_id added to an entry ending in folded notes");
	CHECK_TEXT(edited(fixed_text, ed_inst4, &err),
		   replace_once(fixed_text, "2026-05-29.\n", "2026-05-29.\n    instance_id: \"37907233\"\n"),
		   "instance_id added to the last entry at EOF");
	CHECK_TEXT(edited(fixed_text, ed_proxy2, &err),
		   replace_once(fixed_text,
				"      port: 26249\n      user: root\n      key: ~/.ssh/vastai_id_ed25519\n",
				"      port: 26249\n      user: root\n      key: ~/.ssh/vastai_id_ed25519\n      proxy_jump: bastion\n"),
		   "key added to a nested ssh mapping");
	CHECK_TEXT(edited(fixed_text, ed_append5, &err),
		   replace_once(fixed_text, "2026-05-29.\n",
				"2026-05-29.\n\n  - worker_id: vastai_worker_5\n    kind: ssh\n    enabled: true\n"
				"    ssh:\n      host: ssh1.vast.ai\n      port: 10022\n"
				"    notes: >-\n      new box —\n      cheap\n"),
		   "worker appended after a blank line (the file's final blank line stays last)");

	/* Several edits in a row on one document. */
	CHECK(ydoc_parse(&d, path, fixed_text, strlen(fixed_text), &err) == 0, "reparse");
	CHECK(ed_port4(&d, &err) == 0 && ed_inst3(&d, &err) == 0 && ed_notes3(&d, &err) == 0 &&
		      ed_append5(&d, &err) == 0,
	      "four edits in a row (%s)", err.s);
	CHECK(ynode_long(ypath(worker(&d, "vastai_worker_4"), "ssh.port"), &port) == 0 && port == 27999 &&
		      !strcmp(ymap_str(worker(&d, "vastai_worker_3"), "instance_id"), "38342607") &&
		      !strcmp(ymap_str(worker(&d, "vastai_worker_5"), "notes"), "new box — cheap") &&
		      d.ndups == 8,
	      "and they read back");
	ydoc_release(&d);
out:
	buf_release(&err);
	free(orig);
	free(path);
}

static void
test_compat_project(void)
{
	struct ydoc d;
	struct buf err = BUF_INIT;
	char *path = compat_path("research/nbeatsx_dc/project.yaml");

	if (!file_exists(path)) {
		printf("# skip compat project: cannot read %s\n", path);
		free(path);
		return;
	}
	CHECK(ydoc_load(&d, path, &err) == 0, "project.yaml parses (%s)", err.s);
	static const struct { const char *key; int l1, l2; } dups[] = {
		{ "storage", 67, 96 }, { "publication", 73, 102 }, { "current_state", 77, 107 },
	};
	CHECK(d.ndups == ARRAY_SIZE(dups), "three duplicate top-level keys");
	for (size_t i = 0; i < ARRAY_SIZE(dups) && i < d.ndups; i++)
		CHECK(!strcmp(d.dups[i].key, dups[i].key) && d.dups[i].line1 == dups[i].l1 &&
			      d.dups[i].line2 == dups[i].l2 && d.dups[i].map == d.root,
		      "duplicate %s at lines %d and %d", dups[i].key, dups[i].l1, dups[i].l2);
	CHECK_STR(ymap_str(ymap_get(d.root, "current_state"), "summary"), "",
		  "last current_state wins");
	CHECK_STR(ypath(d.root, "target.target_value")->value,
		  "dc_louvain MSE < baseline_full MSE on ≥3/4 Jena horizons", "non-ASCII value");
	double v = 0;
	CHECK(ynode_double(ypath(d.root, "hardware.min_cuda"), &v) == 0 && v == 11.8, "min_cuda");
	ydoc_release(&d);
	buf_release(&err);
	free(path);
}

/* Remove item idx of the list at dotted path (NULL: the root) in text;
 * the new text or NULL when refused. */
static char *
remove_item(const char *text, const char *path, size_t idx)
{
	struct ydoc d;
	struct buf err = BUF_INIT;
	char *out = NULL;
	if (ydoc_parse(&d, "t.yaml", text, strlen(text), &err) == 0) {
		const struct ynode *seq = path ? ypath(d.root, path) : d.root;
		if (yedit_remove_item(&d, seq, idx, &err) == 0)
			out = xstrdup(d.text);
	}
	ydoc_release(&d);
	buf_release(&err);
	return out;
}

static void
test_remove_item(void)
{
	const char *t = "a: 1\nlist:\n  # head\n  - x: 1\n    y: 2   # keep? no, it is the item's\n\n"
			"  - 2\n\n  - x: 3\n# tail\nb: 2\n";
	char *r;
	r = remove_item(t, "list", 1);
	CHECK_STR(r, "a: 1\nlist:\n  # head\n  - x: 1\n    y: 2   # keep? no, it is the item's\n\n"
		  "  - x: 3\n# tail\nb: 2\n", "a middle item and the blank line before it");
	free(r);
	r = remove_item(t, "list", 0);
	CHECK_STR(r, "a: 1\nlist:\n  # head\n  - 2\n\n  - x: 3\n# tail\nb: 2\n",
		  "the first item, a comment before it stays, the blank after it goes");
	free(r);
	r = remove_item(t, "list", 2);
	CHECK_STR(r, "a: 1\nlist:\n  # head\n  - x: 1\n    y: 2   # keep? no, it is the item's\n\n"
		  "  - 2\n# tail\nb: 2\n", "the last item: the comment after it stays");
	free(r);
	r = remove_item("list:\n  - 1\nb: 2\n", "list", 0);
	CHECK_STR(r, "list:\nb: 2\n", "the only item: the key stays, null");
	free(r);
	r = remove_item("- 1\n- 2\n", NULL, 0);
	CHECK_STR(r, "- 2\n", "a root list");
	free(r);
	r = remove_item("# c\n- 1\n", NULL, 0);
	CHECK_STR(r, "# c\n[]\n", "the only item of a root list: []");
	free(r);
	r = remove_item("l:\r\n  - 1\r\n  - 2\r\n", "l", 1);
	CHECK_STR(r, "l:\r\n  - 1\r\n", "CRLF");
	free(r);
	r = remove_item("l:\n  -\n    a: 1\n  - 2\n", "l", 0);
	CHECK_STR(r, "l:\n  - 2\n", "an item starting on the line after its dash");
	free(r);
	/* A keep (|+) block scalar holds the blank lines after it. */
	r = remove_item("workers:\n  - worker_id: a\n    notes: |+\n      x\n\n  - worker_id: b\n",
			"workers", 1);
	CHECK_STR(r, "workers:\n  - worker_id: a\n    notes: |+\n      x\n\n",
		  "after an item ending in a keep scalar, the blank line before stays (its value)");
	free(r);
	r = remove_item("- a: |+\n    x\n\n- b\n\n\n- c\n", NULL, 1);
	CHECK_STR(r, "- a: |+\n    x\n\n- c\n",
		  "after an item ending in a keep scalar, the blank lines after go");
	free(r);
	r = remove_item("l:\n  - a\n  - |+\n    k\n\n\n  - c\n", "l", 1);
	CHECK_STR(r, "l:\n  - a\n  - c\n", "an item ending in a keep scalar goes with its blank lines");
	free(r);
	/* Found by fuzz_yaml_edit: the last item of a tagged list; `l: !!seq`
	 * alone would be an empty scalar tagged as a list. */
	r = remove_item("l: !!seq\n  - 1\nb: 2\n", "l", 0);
	CHECK_STR(r, "l: !!seq []\nb: 2\n", "the last item of a tagged list: []");
	free(r);
	r = remove_item("l: &x  # c\n  - 1\nm: *x\n", "l", 0);
	CHECK_STR(r, "l: &x []  # c\nm: *x\n", "the last item of an anchored list: [], aliases follow");
	free(r);
	r = remove_item("l: [1, 2]\n", "l", 0);
	CHECK(r == NULL, "a flow list is refused");
	r = remove_item("l:\n  - 1\n", "l", 1);
	CHECK(r == NULL, "an index past the end is refused");
	r = remove_item("a: [x]\n", "a.0", 0);
	CHECK(r == NULL, "not a sequence: refused");
}

int
main(void)
{
	compat_dir = getenv("ROS_COMPAT_DIR");
	if (!compat_dir || !*compat_dir)
		compat_dir = "../shared/compat/research-os-root";
	test_quote();
	test_parse_basics();
	test_parse_errors();
	test_aliases_dups();
	test_small_edits();
	test_more_edits();
	test_remove_item();
	test_append_keeps_values();
	test_registry_set();
	test_registry_kinds();
	test_compat_registry();
	test_compat_project();
	free(fixed_text);
	return UNIT_DONE();
}
