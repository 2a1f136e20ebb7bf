#!/bin/sh
# Linters, as CI runs them: shellcheck on the worker scripts (every
# `shellcheck disable=` says why), cppcheck on src/ (findings known and
# listed in tests/cppcheck.supp pass, any other fails), and -Werror only
# for developers: `make DEVELOPER=1`, which `make check` uses, so that a
# newer compiler's new warning does not break a user's `make`.
. "$(dirname "$0")/../lib/testlib.sh"
cd "$TOP" || exit 1

# --- shellcheck ------------------------------------------------------------------
scripts="src/remote/lib.sh src/remote/slurm.sh"
if command -v shellcheck >/dev/null 2>&1; then
	# shellcheck disable=SC2086 # a list of paths without blanks
	check "shellcheck -s sh: the worker scripts" shellcheck -s sh $scripts
	# shellcheck disable=SC2086 # as above
	check_eq "each shellcheck disable says why (# after the codes)" \
		"$(grep -n 'shellcheck disable=' $scripts | grep -Ev 'disable=SC[0-9]+(,SC[0-9]+)* # [^ ]')" ""
else
	skip "shellcheck not installed (Debian: shellcheck)"
fi

# --- cppcheck --------------------------------------------------------------------
# One run without the list, compared with it, so that both ways show: a
# finding that is not listed (new), and a listed one that is no longer
# found (fixed, or its file moved: the list must follow).
if command -v cppcheck >/dev/null 2>&1; then
	check "cppcheck src/" cppcheck -q --std=c11 -D_GNU_SOURCE -I src --library=posix --library=tests/cppcheck.cfg \
		--enable=warning,portability,performance --inline-suppr \
		--template='{id}:{file}:{line}:{column}: {severity}: {message}' src
	printf '%s\n' "$ERR" > "$T/cppcheck.out"
	cat > "$T/cmp.py" <<'EOF'
import sys
known, why = {}, False
for n, l in enumerate(open(sys.argv[1]), 1):
    l = l.strip()
    if not l:
        why = False
    elif l.startswith("#"):
        why = True
    else:
        known[l] = n
        if l.count(":") != 1 or not why:
            print("bad %s:%d: %s (want id:file, after a comment saying why)" % (sys.argv[1], n, l))
found = set()
for l in open(sys.argv[2]):
    f = l.rstrip("\n").split(":", 2)
    if len(f) == 3:
        found.add(f[0] + ":" + f[1])
        if f[0] + ":" + f[1] not in known:
            print("new " + l.rstrip("\n").split(":", 1)[1] + " [" + f[0] + "]")
for k, n in sorted(known.items()):
    if k not in found:
        print("gone %s:%d: %s is no longer found: remove it" % (sys.argv[1], n, k))
EOF
	"$PY" "$T/cmp.py" tests/cppcheck.supp "$T/cppcheck.out" > "$T/cppcheck.cmp"
	check_eq "cppcheck: no finding but the known ones (tests/cppcheck.supp)" "$(grep -v '^gone ' "$T/cppcheck.cmp")" ""
	check_eq "and each known one is still found" "$(grep '^gone ' "$T/cppcheck.cmp")" ""
else
	skip "cppcheck not installed (Debian: cppcheck)"
fi

# --- the include structure ------------------------------------------------------
# no two modules (x.c with x.h) include each other, directly or round a
# circle, src/util includes only src/util, and each layer only those above
# it in docs/design.md's table
layers=$(sed -n 's/^| [a-z]* | `src\/\([a-z]*\)\/`.*/\1/p' docs/design.md | tr '\n' ' ')
check_eq "the layers, as design.md lists them" "$layers" "util store exec code results engine vast cmd "
check "no include circle, util includes only util, no layer includes one below" \
	tests/tools/include-graph --layers "${layers% cmd }" src
mkdir -p "$T/ig/util" "$T/ig/store"
printf '#include "store/a.h"\n' >"$T/ig/util/u.c"
printf '#include "util/u.h"\n' >"$T/ig/store/a.c"
: >"$T/ig/util/u.h"
: >"$T/ig/store/a.h"
check_fail "a circle planted is found" tests/tools/include-graph "$T/ig"
check_match "and named" "$OUT" "circle: .*/store/a -> .*/util/u -> .*/store/a"
check_match "util reaching up is found" "$OUT" "util: .*/util/u.c includes store/a.h"
check_fail "a layer reaching down is found" tests/tools/include-graph --layers "util store" "$T/ig"
check_match "and named" "$OUT" "layer: .*/util/u.c includes store/a.h"

# --- -Werror for developers only ---------------------------------------------------
# make -n -B: the commands a build from scratch runs, none of them run (but
# the recursive makes of `check`, which get -n too). A make that runs this
# test exports its command-line variables (DEVELOPER=1): cleared as well.
mk() { env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u DEVELOPER -u SANITIZE make -n -B "$@"; }
check "make -n" mk build/src/ros.o
check_match "a user's build has the warnings" "$(printf '%s\n' "$OUT" | grep -F ' src/ros.c')" ' -Wall -Wextra '
check_nomatch "and no -Werror" "$(printf '%s\n' "$OUT" | grep -F ' src/ros.c')" '-Werror'
check "make -n DEVELOPER=1" mk DEVELOPER=1 build/src/ros.o
check_match "a developer's build has -Werror" "$(printf '%s\n' "$OUT" | grep -F ' src/ros.c')" ' -Werror '
check "make -n check" mk check
check_match "check builds ros with -Werror" "$(printf '%s\n' "$OUT" | grep -F ' src/ros.c' | head -n 1)" ' -Werror '
check_match "check compiles" "$OUT" ' -std=c11 '
check_eq "every compile and link of check has it" "$(printf '%s\n' "$OUT" | grep -F ' -std=c11 ' | grep -vc -- ' -Werror ')" 0

done_testing
