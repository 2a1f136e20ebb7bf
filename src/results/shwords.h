/*
 * shwords.h - shell words without a shell: a line split into words as a
 * POSIX shell splits it, nothing expanded (params.h reads runs' commands
 * so), and a word quoted for a shell (the add-run lines of a blog post).
 *
 * Splitting: blanks (space, tab) separate words; '...' holds anything but
 * ' as it is; "..." too, where \ takes a following $ ` " \ or newline as it
 * is; \ outside quotes takes the next character as it is (a backslash and
 * newline are nothing); a # where a word starts comments out the rest of
 * the line; an unquoted newline, ; & | ( ) < or > is an operator word of
 * its own (a run of them, such as && or ;;, is one word; a newline is
 * never in a run with the others).  A quote left open runs to the end.  The
 * script of a shell (the word after sh, bash, dash, ksh or zsh and its
 * single-dash options, one of which holds the letter c: `bash -lc
 * 'SCRIPT'`) is split again in its place, down to 3 levels.
 */
#ifndef ROS_RESULTS_SHWORDS_H
#define ROS_RESULTS_SHWORDS_H

#include "util/util.h"

struct word {
	char *s;
	int op;		/* an unquoted operator: newline ; & | ( ) < > */
};

struct words {
	struct word *v;
	size_t n, alloc;
};

/* Append the words of line to out (initialised to zeros). */
void words_split(const char *line, struct words *out);
void words_release(struct words *w);

/*
 * Append s to b as one sh word: as it is when it is made only of
 * [A-Za-z0-9_./:=@%+,-] (and is not empty), else in single quotes ('\''
 * for a quote).  SH_ALWAYS: in quotes even then.  SH_ONE_LINE: a word
 * holding a control character becomes a $'...' word (\n, \t, \\, \' and
 * \xHH escapes) that stays on one line.
 */
#define SH_ALWAYS	1
#define SH_ONE_LINE	2
void sh_quote(struct buf *b, const char *s, int flags);

#endif
