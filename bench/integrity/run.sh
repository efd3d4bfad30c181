#!/usr/bin/env bash
# The integrity benchmark (see README.md): generate 1 M rows (once), load them
# into PostgreSQL and MariaDB, then time every rule through hypercare next to
# the same statements run directly in psql / mariadb.
#   HC_BENCH_DATA  folder for the CSVs and results (default /tmp/hypercare-integrity-bench)
#   HC_BENCH_ROWS  rows per table (default 1000000)
#   HC_BENCH_ROUNDS timed rounds per rule and engine (default 3)
#   HC_BENCH_SKIP_LOAD=1  reuse the loaded databases
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${HC_BENCH_DATA:-/tmp/hypercare-integrity-bench}
rows=${HC_BENCH_ROWS:-1000000}
cargo build --release --quiet
if [ ! -f "$data/expected.json" ]; then
  python3 bench/integrity/gen.py "$data" "$rows"
fi
if [ "${HC_BENCH_SKIP_LOAD:-}" != 1 ]; then
  bench/integrity/load.sh "$data"
fi
python3 bench/integrity/bench.py target/release/hypercare "$data" "${HC_BENCH_ROUNDS:-3}"
