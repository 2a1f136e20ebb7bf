#!/bin/sh
# The test harness's own checks (tests/lib/testlib.sh) and tests/run: a check
# that is handed something it cannot check fails instead of passing, a
# sanitizer's report is never taken for the failure a test expects, and a
# test file that is skipped says so in the run's report.
. "$(dirname "$0")/../lib/testlib.sh"

# inner NAME: a test file made of stdin, between testlib and done_testing
inner() {
	{
		echo '. "$TOP/tests/lib/testlib.sh"'
		cat
		echo 'done_testing'
	} > "$T/$1.sh"
}
run_inner() { env TOP="$TOP" sh "$T/$1.sh"; }

# --- check_match / check_nomatch: one line of pattern, or a failure --------------
# grep -E takes each line of a pattern as an alternative: "x<NL>b" matches
# any text with a "b" in it, and check_nomatch "x<NL>y" passes on anything.
inner multiline <<'EOF'
check_match "one line of pattern, one of the text's lines" "$(printf 'a\nb')" '^b$'
check_match "two lines of pattern" "$(printf 'a\nb')" "$(printf 'x\nb')"
check_nomatch "two lines, nomatch" "abc" "$(printf 'x\ny')"
EOF
check_fail "a test with multi-line patterns fails" run_inner multiline
check_match "the one-line pattern passes" "$OUT" '^ok - one line of pattern'
check_match "check_match: not ok, naming the check" "$OUT" '^not ok - two lines of pattern$'
check_match "check_nomatch: not ok, naming the check" "$OUT" '^not ok - two lines, nomatch$'
check_match "and saying why, with the test file" "$OUT" \
	"^#   multiline\.sh: check_match: the pattern holds a newline"
check_eq "two failures" "$(printf '%s\n' "$OUT" | grep -c '^not ok')" 2

# --- sanitizer reports are not the failure a check expects -----------------------
check_match "ASan exits 99 in tests" "${ASAN_OPTIONS:-}" '(^|:)exitcode=99$'
check_match "UBSan exits 98 in tests" "${UBSAN_OPTIONS:-}" '(^|:)exitcode=98$'
inner sanitizers <<'EOF'
asan() (echo "==1==ERROR: AddressSanitizer: heap-use-after-free" >&2; exit 99)
ubsan() (echo "x.c:1:2: runtime error: signed integer overflow" >&2; exit 98)
check_fail "a plain failure" sh -c 'exit 1'
check_fail "an ASan report" asan
check_fail "a UBSan report" ubsan
check_exit 99 "check_exit on an ASan report" asan
check "check on an ASan report" asan
EOF
check_fail "a test whose checks got sanitizer reports fails" run_inner sanitizers
check_match "a plain failure passes check_fail" "$OUT" '^ok - a plain failure$'
for c in "an ASan report" "a UBSan report" "check_exit on an ASan report" "check on an ASan report"; do
	check_match "not ok: $c" "$OUT" "^not ok - $c$"
done
check_eq "each says: sanitizer report" "$(printf '%s\n' "$OUT" | grep -c '^#   sanitizer report')" 4
check_match "with its stderr" "$OUT" '^#   stderr: ==1==ERROR: AddressSanitizer: heap-use-after-free'

# the real thing: undefined behaviour under UBSan, in this environment
cat > "$T/ub.c" <<'EOF'
#include <limits.h>
int main(int argc, char **argv) { int x = INT_MAX - 1; (void)argv; x += argc + 1; return x == 0; }
EOF
if ${CC:-cc} -fsanitize=address,undefined -fno-sanitize-recover=all -o "$T/ub" "$T/ub.c" 2>/dev/null; then
	"$T/ub" 2>"$T/ub.err"
	check_eq "a UBSan report exits 98" "$?" 98
	check_match "it was one" "$(cat "$T/ub.err")" 'runtime error: signed integer overflow'
	inner realub <<EOF
check_fail "undefined behaviour" "$T/ub"
EOF
	check_fail "a real UBSan report fails check_fail" run_inner realub
	check_match "as a sanitizer report" "$OUT" '^#   sanitizer report'
else
	skip "no sanitizer runtime for ${CC:-cc}"
fi

# --- tests/run: skips are reported and counted --------------------------------
inner skipall <<'EOF'
skip_all "the frobnicator is not installed"
check "never reached" false
EOF
inner skippart <<'EOF'
check "first part" true
skip "second part: no frobnicator"
EOF
inner failing <<'EOF'
check "a failure" false
EOF
check_fail "tests/run of a failing and two skipping files" env TEST_SUMMARY="$T/summary" \
	"$TOP/tests/run" "$T/skipall.sh" "$T/skippart.sh" "$T/failing.sh"
check_match "a skipped file: SKIP and why" "$OUT" "^SKIP $T/skipall\\.sh: the frobnicator is not installed$"
check_match "a file with a skipped part: its passes and the skip" "$OUT" \
	"^ok   $T/skippart\\.sh \\(1 passed, 1 skipped: second part: no frobnicator, [0-9]+ ms\\)$"
check_match "the skips counted before the summary" "$(printf '%s\n' "$OUT" | tail -n 2 | head -n 1)" '^2 skipped$'
check_eq "the last line as before" "$(printf '%s\n' "$OUT" | tail -n 1)" "1 passed, 1 failed"
check_eq "the summary file holds it" "$(cat "$T/summary")" "1 passed, 1 failed"
check "tests/run of the skipping files alone" env TEST_SUMMARY="$T/summary" "$TOP/tests/run" "$T/skipall.sh"
check_eq "passes, 0 checks" "$(printf '%s\n' "$OUT" | tail -n 1)" "0 passed, 0 failed"

done_testing
