# match.sh - regex checks on whole multi-line texts.  check_match greps line
# by line, so a newline in its pattern makes each line a separate pattern
# (any one of them matching passes); these match the text as a whole.
# Source after testlib.sh.
#
#   check_re DESC TEXT REGEX     passes when Python's re.search(REGEX, TEXT, re.M)
#                                finds REGEX (^ and $ match at each line; a
#                                newline in REGEX must match one in TEXT)
#   check_nore DESC TEXT REGEX   passes when it does not

_re_search() {
	"$PY" -c 'import re, sys; sys.exit(0 if re.search(sys.argv[2], sys.argv[1], re.M) else 1)' "$1" "$2"
}

check_re() {
	if _re_search "$2" "$3"; then _pass "$1"; else _fail "$1" "text: $2" "does not match: $3"; fi
}

check_nore() {
	if _re_search "$2" "$3"; then _fail "$1" "text: $2" "matches: $3"; else _pass "$1"; fi
}
