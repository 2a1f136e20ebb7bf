/*
 * util.h - small helpers shared by every layer: allocation that dies on
 * out-of-memory, growable buffers, error reporting, time, ids, files.
 *
 * Ownership: a returned char * is the caller's to free unless the comment
 * says it is borrowed.  A struct buf owns its bytes; buf_release() frees them.
 */
#ifndef ROS_UTIL_H
#define ROS_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))
#define NORETURN __attribute__((noreturn))

/* ---- allocation (die on OOM) ---- */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF(1, 2);
/* Grow *p (of *alloc elements of size sz) so it holds at least n elements. */
void *xgrow(void *p, size_t *alloc, size_t n, size_t sz);
#define GROW(p, alloc, n) ((p) = xgrow((p), &(alloc), (n), sizeof(*(p))))

/* ---- growable byte buffer; b->s is always NUL-terminated ---- */
struct buf {
	char *s;
	size_t len, alloc;
};
#define BUF_INIT { NULL, 0, 0 }
void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) PRINTF(2, 3);
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
void buf_reset(struct buf *b);
void buf_release(struct buf *b);
char *buf_detach(struct buf *b);	/* the caller owns the result; b is reset */
const char *buf_cstr(struct buf *b);	/* never NULL */

/* ---- string vector (NULL-terminated) ---- */
struct strv {
	char **v;
	size_t n, alloc;
};
#define STRV_INIT { NULL, 0, 0 }
void strv_push(struct strv *sv, const char *s);		/* copies s */
void strv_pushf(struct strv *sv, const char *fmt, ...) PRINTF(2, 3);
void strv_push_nocopy(struct strv *sv, char *s);	/* takes s */
void strv_release(struct strv *sv);
int strv_has(const struct strv *sv, const char *s);
/* Split s at each sep into out: items trimmed of blanks, empty items
 * dropped ("a, b,,c" -> a b c).  The one splitter of name lists (--status
 * running,failed, --rows k1,k2, settings lists).  Returns how many empty
 * items it dropped (0: none), for callers that refuse them. */
size_t split_list(const char *s, int sep, struct strv *out);
/* s is one of the items of list, split as split_list splits it. */
int list_has(const char *list, int sep, const char *s);

/* ---- errors ----
 * die() prints "ros: msg" and exits 1; usage errors exit 2 (die_usage).
 * error() prints and returns -1 so callers can `return error(...)`.
 * warning() prints "ros: warning: msg".  All go to stderr.
 */
extern int opt_quiet;
void die(const char *fmt, ...) PRINTF(1, 2) NORETURN;
void die_errno(const char *fmt, ...) PRINTF(1, 2) NORETURN;
int error(const char *fmt, ...) PRINTF(1, 2);
int error_errno(const char *fmt, ...) PRINTF(1, 2);
void warning(const char *fmt, ...) PRINTF(1, 2);
void info(const char *fmt, ...) PRINTF(1, 2);	/* stderr, silenced by -q */

/* ---- time ---- */
/* The clock: seconds since 1970, what every "now" of ros is read from (not
 * time(NULL)), so that tests can pin it: ROS_TEST_NOW=N is N, +N or -N the
 * real clock moved by N seconds (a test hook; anything else dies).  What
 * is compared with the kernel's own times (file mtimes) uses time(). */
time_t time_now(void);
/* UTC "YYYY-MM-DDTHH:MM:SSZ" of t into out (at least 21 bytes). */
void iso_time(time_t t, char out[32]);
void iso_now(char out[32]);	/* iso_time(time_now()) */
/* Parse the format above (also accepts a fractional part and +00:00); -1 on error. */
time_t parse_iso_time(const char *s);
/* Seconds from the time iso names to now (time_now; negative: to come), or
 * -1 when iso is NULL or not a time. */
long long iso_age(const char *iso);
/* A duration for people: "45s", "3m", "2h", "4d" (negative: 0s). */
void fmt_age(long long seconds, char out[24]);
/* Monotonic milliseconds. */
int64_t mono_ms(void);

/* ---- checksums ---- */
/* The POSIX cksum(1) CRC of p[0..n) (CRC-32, polynomial 0x04C11DB7, the
 * length appended): what `cksum` prints before the size. */
uint32_t posix_cksum(const void *p, size_t n);

/* ---- hashes: for names, keys and caches, not secrets ----
 * Both continue from h: start with FNV1A_INIT, chain by passing the last
 * result.
 * fnv1a(): the 64-bit FNV-1a of p[0..n), byte by byte, as published: for
 *   whatever ros writes down or shows (socket names, labels, checksums),
 *   the same on every machine and in other tools.
 * hash_words(): the same steps eight bytes at a time, with a shift to mix
 *   the high bits down; several times faster, but not FNV-1a from eight
 *   bytes on: for tables in memory and ros's own caches (the queue index
 *   holds it: a change to it means a new index version in queue.c).
 */
#define FNV1A_INIT 0xcbf29ce484222325ULL	/* the offset basis */
#define FNV1A_PRIME 0x100000001b3ULL
uint64_t fnv1a(uint64_t h, const void *p, size_t n);
uint64_t hash_words(uint64_t h, const void *p, size_t n);

/* ---- ids ---- */
/* prefix + n lowercase hex digits from the kernel's random source. */
char *random_id(const char *prefix, int ndigits);

/* ---- files ---- */
/* Read a whole file; NUL-terminated; *len set. NULL + errno on error. */
char *read_file(const char *path, size_t *len);
/* The rest of what fd holds (a NUL after it, not counted in *len); fd stays open. */
char *read_fd(int fd, size_t *len);
int mkdir_p(const char *path, mode_t mode);
int file_exists(const char *path);
int dir_exists(const char *path);
char *path_join(const char *a, const char *b);
/* Write fully, retrying short writes and EINTR. */
int write_all(int fd, const void *p, size_t n);
char *expand_home(const char *path);	/* "~/x" -> "$HOME/x"; always a new string */

/* ---- parsing numbers ---- */
int parse_long(const char *s, long long *out);	/* whole string, base 10 */
int parse_double(const char *s, double *out);	/* whole string, finite */
/* Shortest repr of d that round-trips ("%.15g".."%.17g"), Python style. */
void fmt_double(double d, char out[32]);

/* ---- text: places, lines, names ---- */
/* 1-based line and column (in characters: UTF-8 continuation bytes do not
 * count, nor a byte order mark the text starts with) of byte offset off
 * in text[0..len): what "path:line:col" messages name. */
void text_pos(const char *text, size_t len, size_t off, int *line, int *col);
/* The last line of s[0..n) that holds more than blanks (space, tab, CR,
 * LF, VT, FF), without its trailing blanks (a line ends at \n or \r: after
 * a CR comes what a terminal shows last): its start in *line and its
 * length, 0 when every line is blank. */
size_t text_last_line(const char *s, size_t n, const char **line);
/* The ASCII letters and digits of s, lowercased, each run of anything else
 * between them one sep ("Time-series: ETTh1!" -> time_series_etth1 with
 * '_'); it stops once it has max bytes or more (0: no limit), the last
 * step adding a separator and a character.  New string, "" when s has no
 * letter or digit. */
char *slugify(const char *s, char sep, size_t max);

/* ---- UTF-8 ---- */
/* Decode one character at s (n bytes left): its length, or 0 if invalid
 * (overlong, surrogate, beyond U+10FFFF, truncated). */
size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp);
int utf8_valid(const char *s, size_t n);
size_t utf8_width(const char *s);	/* display columns, approximate */
/* A valid UTF-8 copy of s[0..n) for JSON: each byte that does not begin a
 * valid character becomes U+FFFD, NULs are dropped.  New string. */
char *utf8_clean(const char *s, size_t n);

/* ---- text for a terminal ----
 * Others' text (run logs, whatever a worker prints) must not drive the
 * terminal: each byte of a C0 control but \n and \t (CR too: it moves back
 * over what is on the line), of DEL, of a C1 control (U+0080..U+009F, which
 * terminals obey like ESC sequences) or of anything that is not valid UTF-8
 * becomes the four characters \xHH (lowercase hex); valid UTF-8 text is
 * kept.  This is for people to read: a "\x1b" written in the text looks the
 * same, and backslashes are not doubled.
 */
/* Append s[0..n) to b escaped; returns the bytes used: n, except that with
 * partial set an incomplete UTF-8 character at the end is left for the
 * caller to prepend to the next piece of a stream. */
size_t buf_add_term(struct buf *b, const char *s, size_t n, int partial);
/* printf to f, the formatted text escaped as a whole (ros's own words pass
 * unchanged): for lines that mix them with others'. */
void fprintf_term(FILE *f, const char *fmt, ...) PRINTF(2, 3);

/* ---- asking before doing what cannot be undone ----
 * Print the question (fmt) on stderr after flushing stdout, read one line
 * of stdin: 1 if it is y or yes (any case, blanks around it ignored), 0 for
 * anything else or the end of input.  Callers ask only on a terminal
 * (isatty) and otherwise refuse unless told yes (--yes).
 */
int ask_yes(const char *fmt, ...) PRINTF(1, 2);

/* Append "; did you mean PREFIX<name>?" (or "... A or B?") to out for the
 * candidates close to word, a mistyping of one: at most one edit (a letter
 * added, dropped, changed, or two swapped) for words of up to 4 characters,
 * two for longer ones; failing that, the one candidate that word begins (of
 * 3 or more characters).  Returns how many were named (0: out unchanged). */
int did_you_mean(struct buf *out, const char *word, const struct strv *cands, const char *prefix);

int str_starts(const char *s, const char *prefix);
int str_ends(const char *s, const char *suffix);
/* 1 if s is made only of [A-Za-z0-9_.-] and is non-empty, not "." or "..". */
int safe_name(const char *s);
/* A relative path made of plain components: not empty, no leading '/', no
 * empty, "." or ".." component, no trailing '/' (it stays inside the
 * directory it is taken from, symbolic links aside). */
int path_plain(const char *p);

#endif
