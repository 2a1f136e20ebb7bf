/*
 * metrics.h - turn the text a run left behind into a JSON object of
 * metric name -> number.
 *
 * Pure functions: they read text that the caller already fetched (the tail
 * of stdout.log, the last record of a metrics.jsonl, the output of a parser
 * command) and never touch files or processes.
 *
 * A run's `metric_parser` field names the parser (a "spec"):
 *
 *   ""  or "default"   key=value / key: value pairs of the last log line that
 *                      holds a measured value ("Epoch 10/10 | MSE=0.3847
 *                      MAE=0.4021"; settings such as CUDA=0 or dev=1 after it
 *                      do not count: see metrics_parse()).
 *   "json"             the last log line holding a JSON object.
 *   "jsonl:PATH"       the last record of the JSON-lines file PATH (relative to
 *                      the run directory); "jsonl" alone means metrics.jsonl.
 *   "regex:N=ERE;..."  POSIX extended regexes, one per metric name N; the first
 *                      capture group is the value and the last match wins.
 *                      Bounded (see METRIC_RE_*) so that compiling one never
 *                      takes more than a few tens of MB.
 *   "command:CMD"      CMD, run by the caller on the worker with the log on its
 *                      stdin, prints the metrics (a JSON object line, else
 *                      key=value pairs).
 *   anything else      holding a '/' or a blank and not starting like a scheme
 *                      ("word:"): a command too, as the Python tool's manifests
 *                      named parsers ("research/p/analysis/parse_metrics.py").
 *                      A lone word ("yaml") is unknown: a typo, most likely.
 *
 * Results.  Every parser returns a new object (the caller decrefs it) whose
 * keys are valid UTF-8 and whose values are JSON reals, or JSON null for a
 * value that was present but not finite (nan, inf, -inf, 1e999): a diverged
 * run stays visible in the evidence as "mse": null instead of vanishing or
 * poisoning a mean.  Each such null also adds a warning line to *err.
 * metrics_parse_text() also gives each value as the text wrote it ("0.3990"
 * for MSE=0.3990, whose number prints as 0.399), for display: the pairs of
 * the default parser, regex captures, numbers held in JSON strings; not
 * JSON numbers (their text is not kept by the JSON reader, and Python's
 * json.dumps writes the shortest form anyway).
 *
 * Errors.  NULL is returned, with a one-line message in *err, when the spec
 * is malformed or nothing at all was found.  On success *err may still hold
 * warnings (one per line, no trailing newline on the last): non-finite values,
 * regex names that never matched, captures that are not numbers.  So: NULL
 * means error; non-NULL and err->len > 0 means warnings worth printing.
 *
 * Any bytes are accepted: NULs within len, invalid UTF-8, lines of megabytes,
 * an empty log.  Lines end at '\n' or '\r' (a '\r' is how progress bars
 * redraw a line, so the text after the last '\r' is what the user saw).
 */
#ifndef ROS_RESULTS_METRICS_H
#define ROS_RESULTS_METRICS_H

#include <jansson.h>
#include <stddef.h>

#include "util/util.h"

enum metric_kind {
	METRIC_DEFAULT,		/* "" or "default" */
	METRIC_JSON,		/* "json" */
	METRIC_JSONL,		/* "jsonl" or "jsonl:PATH" */
	METRIC_REGEX,		/* "regex:NAME=ERE;NAME2=ERE2" */
	METRIC_COMMAND,		/* "command:CMD", or a script path / command line */
	METRIC_UNKNOWN,		/* anything else: an error to report */
};

/* Longest metric name kept (bytes); longer keys are ignored. */
#define METRIC_KEY_MAX 128

/* Room for a value's text (metric_text()): at most 64 bytes and the NUL. */
#define METRIC_TEXT_MAX 65

/*
 * Bounds of a regex: spec, checked before regcomp() (which builds a copy of
 * a subexpression per repetition count and needs memory quadratic in what
 * it built).  The size of an ERE: 1 per character, bracket expression,
 * anchor or escape, 1 per group and per '|', and a quantifier multiplies
 * what it applies to by its largest count ('*' and '?' 1, '+' 2, {m} m,
 * {m,} m+1, {m,n} n) and adds 1; so MSE[=:] *([0-9.eE+-]+) is 10, and
 * (a{0,255}) 257.  Back-references ( .. \9) are refused: matching them
 * takes exponential time.  At most 64 metrics per spec (MAX_RE).
 */
#define METRIC_RE_LEN_MAX 256		/* bytes of one ERE */
#define METRIC_RE_DUP_MAX 255		/* largest count in {m,n} (POSIX's RE_DUP_MAX) */
#define METRIC_RE_SIZE_MAX 1000		/* size of one ERE */
#define METRIC_RE_TOTAL_MAX 2000	/* sizes of all the EREs of a spec */

/*
 * Bounds of matching: glibc's regexec takes time quadratic in a line when
 * a search fails ((.*)x over 64 KiB of 'a' takes seconds).  A line longer
 * than METRIC_RE_LINE_MAX is searched on its last METRIC_RE_LINE_MAX bytes
 * (which do not count as a line start for '^'), and each regex searches,
 * from the end, as many lines as fit in METRIC_RE_WORK / (number of
 * regexes), a line of n bytes costing n * n (about a second of work in
 * all): a 64 KiB log of 100-byte lines is searched whole by 64 regexes;
 * when the work runs out first the regex's warning says how much of the
 * log it searched.
 */
#define METRIC_RE_LINE_MAX 1024
#define METRIC_RE_WORK (1LL << 29)

/* Which kind of parser spec is (NULL counts as ""). */
enum metric_kind metrics_kind(const char *spec);

/*
 * The argument of a spec, borrowed from spec: the PATH of "jsonl:PATH"
 * ("metrics.jsonl" for plain "jsonl"), the CMD of "command:CMD" (the whole
 * spec of a bare command), the list of "regex:..."; "" for the others.
 */
const char *metrics_spec_arg(const char *spec);

/*
 * Check a spec without parsing anything (bounds and compiles the regexes):
 * 0 if usable, else -1 with the reason in *err.  For `add-run` to refuse a
 * bad spec early; metrics_parse() applies the same checks to a spec read
 * from a queue entry.
 */
int metrics_spec_check(const char *spec, struct buf *err);

/*
 * Parse log[0..len) (need not be NUL-terminated) with the parser spec names.
 *
 * default: scans lines from the end; the first line (from the end) holding a
 *   pair whose value is not a whole number (0.3847, 1e-3, nan) wins and all
 *   its pairs are returned, later pairs with the same key overriding earlier
 *   ones; when no line has one, the last line with any pair wins ("reward=200
 *   steps=1000").  So a setting printed after the results ("echo dev=1",
 *   "epoch=10 step=500") does not hide them.  A pair whose KEY has no
 *   lower-case letter and whose value is a whole number is an environment
 *   setting (CUDA=0, CUDA_VISIBLE_DEVICES=1, OMP_NUM_THREADS=8), never a
 *   metric: it is left out wherever it is.  A pair is KEY SEP VALUE where KEY is
 *   [A-Za-z_][A-Za-z0-9_./-]* not preceded by one of those characters (it may
 *   be wrapped in ' or ", as in a printed Python dict), SEP is '=' or ':' with
 *   optional blanks around it, and VALUE is one token that strtod() consumes
 *   entirely (optionally quoted).  A token ends at a blank or one of , ; | ) ]
 *   } % and the end of the line, so "10/10", "12:30:01", "sha=4e938a1",
 *   "torch: 2.7.1+cu118" and "model=timesnet" give no pair.  A line whose only
 *   pairs are non-finite ("mse=nan mae=nan") still wins: the run's last word
 *   was that it diverged, and an earlier epoch's numbers would be a lie.
 *
 * json: the last line that holds a JSON object (from its first '{' to the end
 *   of the line, so a timestamp or logger prefix is allowed) with at least one
 *   metric.  See metrics_parse_json_record() for what counts as a metric.
 *
 * jsonl: log is the record text; same as metrics_parse_json_record().
 *
 * regex: each ERE is matched against every line (lines also end at NUL
 *   bytes; a match cannot span lines; long lines and long logs as
 *   METRIC_RE_LINE_MAX says); the last match in the log wins.  The
 *   spec is split at each ';' that is followed by NAME=, so an ERE may contain
 *   ';' elsewhere.  An ERE without a capture group is an error.  A name that
 *   never matches, or whose last capture is not a number, is left out with a
 *   warning; no match for any name is an error.
 *
 * command: log is the command's stdout; its last line holding a JSON object
 *   wins if there is one, else the default parser runs on it.
 */
json_t *metrics_parse(const char *spec, const char *log, size_t len, struct buf *err);

/*
 * As metrics_parse(), and *text gets a new object (NULL when the parse
 * fails): name -> the value as written, for the metrics whose text is known
 * (see Results above), at most 64 bytes each.
 */
json_t *metrics_parse_text(const char *spec, const char *log, size_t len, json_t **text, struct buf *err);

/*
 * What to show for a metric whose value is v (a number, or null when not
 * finite) and whose text as written is t (a string, or NULL): t when it
 * reads as v (the same double; for null, a non-finite number such as
 * "nan"), so that a hand edit of the number is never hidden by stale text;
 * else v's shortest form ("0.399"), "null" for null.
 */
void metric_text(const json_t *v, const json_t *t, char out[METRIC_TEXT_MAX]);

/*
 * Parse one JSON record, e.g. the last line of a metrics.jsonl.  text[0..len)
 * may be a whole (pretty-printed) JSON object; if it does not parse as one,
 * its last non-blank line is parsed instead.
 *
 * Metrics are the object's numbers; nested objects are flattened with '.'
 * ({"val": {"mse": 0.3}} gives "val.mse"), down to 8 levels.  Strings that
 * are entirely a number ("0.420", as the Python tool stored them) count as
 * that number.  Python's bare NaN, Infinity and -Infinity (json.dumps writes
 * them; strict JSON does not allow them) and the strings "nan", "inf", ...
 * give null with a warning.  Arrays, booleans, JSON null and other strings
 * are not metrics and are skipped.  A record without any metric is an error.
 */
json_t *metrics_parse_json_record(const char *text, size_t len, struct buf *err);

#endif
