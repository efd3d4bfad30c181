#!/usr/bin/env bash
# The long fuzz pass: every fuzz target with CASES cases (default 1,000,000),
# release build, ignored targets included (they wait on fixes elsewhere and
# are reported as failures here). Prints each target's result and time.
#   bench/fuzz/run.sh            # 1 M cases per target
#   CASES=100000 bench/fuzz/run.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
export PROPTEST_CASES="${CASES:-1000000}"
echo "cases per target: $PROPTEST_CASES"
cargo test --release --test fuzz -- --include-ignored --test-threads 1 2>&1 | grep -E '^test |minimal failing|test result'
cargo test --release --lib fuzz -- --include-ignored --test-threads 1 2>&1 | grep -E '^test |minimal failing|test result'
