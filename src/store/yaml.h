/*
 * yaml.h - read YAML files users also edit by hand, and change them
 * surgically.
 *
 * The reader is built on libyaml's event API.  Every node knows the byte
 * span it covers in the file and its line and column, so a caller can say
 * where a problem is and an editor can replace exactly the bytes of one
 * scalar, or insert lines, leaving comments, folded notes, blank lines, key
 * order and every other byte as they were.  Nothing here re-emits a whole
 * document.
 *
 * Ownership: a struct ydoc owns its path, its text, every node and every
 * duplicate-key record; ydoc_release() frees them all.  Node pointers (and
 * the strings in them) are borrowed from the document: they stay valid until
 * the next successful edit of that document or ydoc_release().  A failed edit
 * leaves the document, and so every node pointer, as it was.
 *
 * Errors: functions that take a `struct buf *err` append one line, without a
 * trailing newline, of the form "PATH:LINE:COL: what is wrong" (or
 * "PATH: what is wrong" when there is no position), and return -1.  When
 * err is NULL the message goes to error() (stderr) instead.
 *
 * Positions: `line` and `col` are 1-based.  Columns count characters, not
 * bytes, as libyaml (and PyYAML) do; `start` and `end` are byte offsets into
 * doc->text (libyaml's own mark.index counts characters: it is converted).
 *
 * Typical use:
 *
 *	struct ydoc d = YDOC_INIT;
 *	struct buf err = BUF_INIT;
 *	if (ydoc_load(&d, path, &err) < 0)
 *		die("%s", err.s);
 *	struct ynode *w = yseq_find(ymap_get(d.root, "workers"), "worker_id", id);
 *	if (w && yedit_set_raw(&d, w, "enabled", "false", &err) < 0)
 *		...
 *	write d.text (d.len bytes) to the file atomically
 *	ydoc_release(&d);
 */
#ifndef ROS_STORE_YAML_H
#define ROS_STORE_YAML_H

#include <stddef.h>

#include "util/util.h"

enum ynode_type { Y_SCALAR, Y_MAP, Y_SEQ };

/* Values of ynode.style: the same numbers as libyaml's yaml_scalar_style_t
 * and yaml_mapping_style_t / yaml_sequence_style_t. */
enum {
	YS_PLAIN = 1, YS_SINGLE = 2, YS_DOUBLE = 3, YS_LITERAL = 4, YS_FOLDED = 5
};
enum { YC_BLOCK = 1, YC_FLOW = 2 };

struct ynode {
	enum ynode_type type;
	/*
	 * Byte offsets in doc->text, [start, end), from libyaml's marks:
	 * - a scalar with an anchor or tag starts at the anchor or tag;
	 * - an empty plain scalar (`key:` with nothing after it) is an empty
	 *   span just after the ':';
	 * - a block scalar (| or >) runs from its indicator up to where the
	 *   next token starts, so it includes trailing blank lines and the
	 *   indentation of the next line;
	 * - a block mapping or sequence starts at its first key or '-' (or at
	 *   its anchor/tag) and ends where the next token starts, after any
	 *   trailing blank lines and comment lines;
	 * - a flow collection runs from '[' or '{' to just after ']' or '}';
	 * - an alias node spans its `*name`.
	 */
	size_t start, end;
	int line, col;		/* 1-based position of start (col in characters) */
	char *value;		/* Y_SCALAR: the decoded value; NULL otherwise */
	int style;		/* YS_* for scalars, YC_* for collections */
	int plain_null;		/* scalar written plain as nothing, `~`, `null`, `Null`, `NULL` */
	size_t n;		/* number of items (seq) or pairs (map) */
	struct ynode **items;	/* Y_SEQ items; Y_MAP: keys at [2i], values at [2i+1] */
	/*
	 * Non-NULL when this node is an alias (*name): the anchored node it
	 * stands for.  type, value, style, plain_null, n and items are those of
	 * the anchored node (items are shared, not copied); start, end, line
	 * and col are the alias's own.  Collections reached through an alias
	 * cannot be edited.
	 */
	const struct ynode *alias_of;
};

/* A key that occurs more than once in one mapping.  With k occurrences
 * there are k-1 records: each later occurrence paired with the one before
 * it (line1 < line2).  `map` points into the document's tree. */
struct ydup {
	char *key;
	int line1, line2;
	const struct ynode *map;
};

struct ydoc {
	char *path;			/* for messages */
	char *text;			/* the file's bytes, NUL-terminated */
	size_t len;
	struct ynode *root;		/* NULL for an empty document */
	struct ydup *dups;		/* duplicate keys found, in every mapping */
	size_t ndups;
};
#define YDOC_INIT { NULL, NULL, 0, NULL, NULL, 0 }

/*
 * Parse len bytes of text (copied; it need not be NUL-terminated) into d,
 * which is overwritten: release a previously used doc first.  path is only
 * used in messages.
 *
 * Rejected, with the position: invalid UTF-8, NUL bytes, control
 * characters, syntax errors (the problem mark libyaml reports; for an
 * unknown escape in a double-quoted scalar the column of the character after
 * the backslash, which the message quotes, as PyYAML does), a `\0` escape,
 * more than one document, more than YDOC_MAX_DEPTH collections nested in
 * one another, and an alias whose anchor is not defined before it (or is
 * the collection it is in).  Aliases are otherwise resolved (see
 * ynode.alias_of); merge keys (`<<`) are honoured by ymap_get().
 * Duplicate keys are not an error: they are listed in d->dups.
 *
 * Returns 0, or -1 with err set and d empty (all fields zero).
 */
int ydoc_parse(struct ydoc *d, const char *path, const char *text, size_t len, struct buf *err);
/* Deeper nesting is refused: the tree is walked recursively, and libyaml's
 * time grows with the square of the depth.  Registries nest a few levels. */
#define YDOC_MAX_DEPTH 1000
/* read_file(path) + ydoc_parse().  -1 with err set when the file cannot be read. */
int ydoc_load(struct ydoc *d, const char *path, struct buf *err);
/* Free everything d owns and zero it.  Safe on a zeroed or failed doc. */
void ydoc_release(struct ydoc *d);

/* ---- lookups; all accept NULL and non-matching node types (-> NULL / -1) ---- */

/* The value for key in a mapping: the last occurrence wins on duplicates
 * (as PyYAML).  A key not in the mapping itself is looked up in its merge
 * keys (`<<: *base` or `<<: [*a, *b]`, earlier maps first). */
struct ynode *ymap_get(const struct ynode *map, const char *key);
/* The key node of that pair (last occurrence; merge keys are not followed). */
struct ynode *ymap_key(const struct ynode *map, const char *key);
/* The value as a string if it is a scalar that is not null, else NULL.
 * Borrowed. */
const char *ymap_str(const struct ynode *map, const char *key);
/* Follow dotted keys from node: "ssh.host"; a component made of digits
 * indexes a sequence ("workers.0.worker_id").  NULL if any step is missing. */
struct ynode *ypath(const struct ynode *node, const char *dotted);
/* The first mapping item of seq whose scalar key `key` has the value
 * `value` (e.g. yseq_find(workers, "worker_id", "vastai_worker_3")). */
struct ynode *yseq_find(const struct ynode *seq, const char *key, const char *value);

/*
 * Scalar conversions; 0 on success, -1 (and *out untouched) when n is not
 * a scalar of that kind.  Quoting is not looked at: `port: "22"` reads as
 * 22 too, since hand-written files quote numbers.
 * - bool: true/false, yes/no, on/off, each in lower, Capitalised or UPPER
 *   case (YAML 1.1, as PyYAML).
 * - long: decimal with an optional sign, '_' separators allowed, or 0x hex,
 *   0o octal, 0b binary.  A leading 0 is decimal (unlike YAML 1.1).
 * - double: what strtod takes and is finite, plus '_' separators; integers
 *   are accepted.
 */
int ynode_bool(const struct ynode *n, int *out);
int ynode_long(const struct ynode *n, long long *out);
int ynode_double(const struct ynode *n, double *out);

/*
 * ---- surgical edits ----
 *
 * Each edit changes only the bytes it must in d->text, then re-parses d so
 * that the nodes describe the new text.  After success every node pointer
 * taken before the edit is invalid: look nodes up again.  The caller writes
 * d->text (d->len bytes) out atomically.  New lines use the file's line
 * ending (CRLF if its first line ends so).  `map` and `seq` must be nodes
 * of d.
 *
 * Every edit is checked on the re-parsed text: it must read as the old
 * document, every value and the structure (an alias still naming the node
 * it named), except for the one change the edit makes.  Otherwise (the
 * result would not parse, or a layout made a value change, or the new item
 * would land elsewhere) the edit is refused with the position of what would
 * change and d is left untouched.  The check costs one walk of both trees.
 * The editor knows lines ending in \n or \r\n; YAML also reads a lone \r,
 * NEL, LS and PS as line breaks, and a refusal names the first such line.
 *
 * New lines go after the line holding the last content of a node (a block
 * scalar's last content line, trailing blank lines not counted), with two
 * exceptions that keep values as they read:
 * - after a keep (|+) block scalar they go after its trailing blank lines,
 *   which are its value, and no blank separator line is written;
 * - when that line ends the file without a line break, one is written, and
 *   a block scalar ending there gets the strip indicator ('|' becomes '|-',
 *   '|+' becomes '|-'): its value, which has no final line break, stays so.
 * New keys are indented like the mapping's first key, or its '?'.
 */

/*
 * Set key to the string value in map.
 *
 * The key exists (its last occurrence) with a scalar value: exactly that
 * scalar's bytes are replaced (an anchor or tag before it is kept).  A plain
 * value stays plain if the new value is safe plain (see yaml_quote()), a
 * single-quoted one stays single-quoted if it can be, else the value is
 * written double-quoted with escapes.  A block scalar (| or >) is replaced,
 * from its indicator to the end of its last non-blank line, by a
 * double-quoted scalar on the key's line; blank lines after it stay.  An
 * empty value (`key:`) gets " value" after the colon.  A value that is a
 * mapping or sequence is an error.
 *
 * The key is missing: a "key: value" line is added after the last line of
 * the mapping's last pair (after the end of that line, comment included),
 * indented like the mapping's first key (or its '?'); for a flow mapping
 * ", key: value" is inserted after the last value ("key: value" into `{}`).
 *
 * value NULL writes `null`.
 */
int yedit_set(struct ydoc *d, const struct ynode *map, const char *key, const char *value,
	      struct buf *err);
/* Like yedit_set, but yaml_scalar is YAML text inserted as given ("true",
 * "22", "0.094", "null", "'x'").  It must be one line holding one plain or
 * quoted scalar, or "{}": an empty flow mapping, to set keys in; anything
 * else is refused. */
int yedit_set_raw(struct ydoc *d, const struct ynode *map, const char *key,
		  const char *yaml_scalar, struct buf *err);

/*
 * Append a new item to a sequence.
 *
 * `block` is the item written at column 0, usually a block mapping
 * ("worker_id: x\nkind: ssh\nssh:\n  host: h\n"); it must parse on its own.
 * It is indented to match the existing items ("  - worker_id: x\n    kind:
 * ssh\n...") and inserted after the end of the line holding the last item's
 * last content (see above), preceded by one blank line if the last two
 * items are separated by blank lines.
 *
 * seq may be a block sequence; an empty flow sequence (`workers: []`) or a
 * null value (`workers:`, `workers: ~`, or none after `? workers`) that is
 * the value of a block mapping key, which becomes a block list indented two
 * more than the mapping (a comment after it stays on the key's line; after
 * `? workers` a line ":" comes first).  Other flow sequences are refused.
 */
int yedit_append_item(struct ydoc *d, const struct ynode *seq, const char *block,
		      struct buf *err);
/*
 * Append an item to the sequence under key in map (NULL map: the root),
 * creating "key:" with a block list when the key is missing, and the root
 * mapping when the document is empty (only comments or nothing).  A key
 * map only has through a merge key (`<<`) is refused: a list of its own
 * would hide the merged one.
 */
int yedit_append_to(struct ydoc *d, const struct ynode *map, const char *key, const char *block,
		    struct buf *err);

/*
 * Remove item idx of a block sequence: the lines from its '-' to the end of
 * the line holding its last content (or of the blank lines its keep block
 * scalar holds), and one blank line that set it apart: the one before it,
 * else the one after (all those after when the item before ends in a keep
 * block scalar, whose value the blank lines before it are).  Comment lines
 * around it stay.  The sequence must be the root or the value of a mapping
 * key.  Removing the last item of a key's list leaves `key:` (null: an
 * empty list), or `key: &anchor !tag []` when the list has an anchor or
 * tag; of a root list, `[]`.
 */
int yedit_remove_item(struct ydoc *d, const struct ynode *seq, size_t idx, struct buf *err);

/*
 * Format s as a YAML scalar for block context: plain when that reads back
 * as the same string (not empty, not like a null, bool, number or date,
 * no leading or trailing space, no ": ", " #" or trailing ':', no
 * indicator as first character (- ? : , [ ] { } # & * ! | > ' " % @ `),
 * no control or non-printable characters), else double-quoted with escapes
 * (\" \\ \n \t \r \xNN \uNNNN).  s should be UTF-8; an invalid byte is
 * written as \uFFFD.  Returns a new string.
 */
char *yaml_quote(const char *s);

#endif
