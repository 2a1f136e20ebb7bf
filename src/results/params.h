/*
 * params.h - the parameters of runs that carry none, read from their
 * commands.
 *
 * Only `add-run --sweep` records a run's `params`.  Runs added one by one
 * (`--command '... --lambda_se 0.05 --seed 1'`, as the post does, and every
 * run of the Python tool) have none, and grouping them by params would put
 * every command in one configuration.  So their parameters are read from
 * what they run: the words of their env, then of their command.
 *
 * Words.  A line is split as a shell splits it, nothing expanded: see
 * shwords.h (the script of `bash -lc SCRIPT` is split again in its place).
 *
 * Items.  Walking the words (operators are plain words and end an option):
 *   --KEY=VALUE   KEY is VALUE
 *   --KEY VALUE   when the next word is not an operator and does not start
 *                 with '-' (a negative number does: --shift -1)
 *   --KEY         otherwise: a flag, KEY is true
 *   KEY=VALUE     a word whose VALUE holds no blank: env assignments and
 *                 overrides (SEED=1, lr=0.1, model.depth=4)
 * with KEY made of [A-Za-z_][A-Za-z0-9_.-]* (after the --).  Every other
 * word is a plain word: cd, python, run.py, -u, "mse=0.5 acc=0.5".  Values
 * stay the text they are ("0.10"); they compare as numbers when both are
 * numbers (aggregate.h), so 0.1 and 0.10 are one value.
 *
 * Resolving the runs of one summary.  Only runs that are done (or have no
 * status) and have a metrics object take part; the others are returned as
 * they are.  Runs with params are "swept", the others "plain".
 *   - No plain run: nothing changes (mode "params").
 *   - Plain runs only.  When their plain words are the same, in order, and
 *     no command gives one key two different values, the commands are read
 *     (mode "commands"): a run's params are the keys whose value is not the
 *     same in every command (a key some commands lack counts as differing)
 *     and the `over` key (default seed).  Otherwise (mode "whole") each run
 *     is grouped by its whole command without its `over` pair: its params
 *     are {"command": C, over: value}, C being the items of the command that
 *     are not alike in every command, as they are written ("--data ETTh2
 *     /tmp/etth2.log"); the whole command when all are alike, and when two
 *     different commands would shorten to the same C.  Both say so in the
 *     info's warnings.
 *   - Both.  When the rule above, applied to all of them, reads the
 *     commands (mode "commands") and every swept run's command gives each of
 *     its params the same value under the same name (`--sweep lambda_se=...
 *     --command '... --lambda_se {lambda_se}'`), they are merged (mode
 *     "merged"): every run's params are what its command gives, as above
 *     (a swept run's own agree with them).  Otherwise (mode
 *     "apart") the swept runs keep their params and each plain run is
 *     grouped by its whole command as in mode "whole", computed over the
 *     plain runs alone: {"command": C, over: value}, so that none joins a
 *     sweep's configuration.
 * A run's `over` value is read from its command only when the command gives
 * the `over` key (compared without regard to case: SEED=1 in env is the
 * seed) one value; with several, the run has none (its pairs stay in C).  Runs that merely repeat one configuration give no params but
 * `over`; the info's "constant" holds the keys all of them give alike.
 *
 * The info (an object the caller passed, filled in):
 *   "mode"      as above
 *   "n_read"    plain runs whose params were read from their commands
 *   "keys"      the keys their params hold (in order of first appearance)
 *   "constant"  {key: value}: what every read command gives alike
 *               (modes commands and merged)
 *   "notes"     ["parameters read from the commands: lambda_se, seed", ...]
 *   "warnings"  ["..."]: the grouping by whole commands and why, keys given
 *               two values by one command, a mix kept apart and why
 */
#ifndef ROS_RESULTS_PARAMS_H
#define ROS_RESULTS_PARAMS_H

#include <jansson.h>

#include "util/util.h"

/*
 * The items of env then command (either may be NULL), as a new array:
 * {"key": K, "value": "V"} (true for a flag), or {"word": W}; each with
 * "text": the words as written, quoted for a shell where needed.
 */
json_t *cmd_items(const char *env, const char *command);

/*
 * Resolve the runs of one summary (an array of run entries; borrowed) as
 * described above, with over the replicate key (NULL: "seed").  Returns a
 * new array of the same length and order: each plain run given params is a
 * new object (a copy of the entry's fields plus its params); every other
 * element is the same entry.  info, an object, gets the fields above.
 */
json_t *params_resolve(const json_t *runs, const char *over, json_t *info);

#endif
