#!/usr/bin/env bash
# One fuzz target in chunks of CHUNK cases (a fresh random seed each) until
# UNTIL (epoch seconds) or MAX cases, for machines where the 1 M pass of
# run.sh cannot finish in one go: prints the cases run and stops at the
# first failing chunk with proptest's minimal failing input.
#   bench/fuzz/until.sh BINARY TARGET          # a test binary, an exact test name
#   CHUNK=5000 UNTIL=$(date -d '+30 min' +%s) MAX=1000000 bench/fuzz/until.sh …
set -uo pipefail
BIN="$1"
TARGET="$2"
CHUNK="${CHUNK:-5000}"
UNTIL="${UNTIL:-$(( $(date +%s) + 1800 ))}"
MAX="${MAX:-1000000}"
cases=0
started=$(date +%s)
while [ "$(date +%s)" -lt "$UNTIL" ] && [ "$cases" -lt "$MAX" ]; do
  out=$(PROPTEST_CASES="$CHUNK" "$BIN" --exact "$TARGET" --include-ignored --test-threads 1 2>&1)
  if ! grep -q "test result: ok. 1 passed" <<<"$out"; then
    echo "$TARGET: FAILED after $cases cases"
    grep -E "minimal failing|panicked|Test failed" <<<"$out" | head -5
    exit 1
  fi
  cases=$(( cases + CHUNK ))
done
echo "$TARGET: $cases cases, no failure, $(( $(date +%s) - started )) s"
