#!/bin/sh
# The fuzz targets (tests/fuzz/, built by `make fuzz-build`) for a short
# while each: FUZZ_CHECK_SECONDS (default 8).  `make fuzz` runs them longer.
. "$(dirname "$0")/../lib/testlib.sh"
if ! ls "$TOP"/build-fuzz/fuzz_* >/dev/null 2>&1; then
	echo "not ok - no fuzz targets in build-fuzz/ (make fuzz-build)"
	exit 1
fi
"$TOP/scripts/fuzz" "${FUZZ_CHECK_SECONDS:-8}"
