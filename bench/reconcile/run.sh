#!/usr/bin/env bash
# Keyed diff benchmark, PostgreSQL source -> MariaDB target, in one run:
# hypercare (release build, `hypercare check`), reladiff 0.6.0, data-diff
# 0.11.2, and the floor (each database's raw MD5 checksum of the same
# columns over the whole table; the slower one counts). Two cases: clean
# tables, and 0.1 % planted differences. Every tool's findings are checked
# against the planted keys. Prints a summary table (summary.py).
# usage: bench/reconcile/run.sh [ROWS] [RUNS]     (defaults 1000000, 3)
# Env: SKIP_LOAD=1 reuses loaded tables; CASES="clean diff"; TOOLS="floor
# hypercare reladiff data-diff"; VENVS (default /work/bench-venvs);
# BENCH_DATA (default /work/bench-data/ROWS); BENCH_DB (database name on both,
# default hcbench); HYPERCARE_BIN (else a release build); KEEP_RESULTS=FILE.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rows=${1:-1000000}
runs=${2:-3}
cases=${CASES:-clean diff}
tools=${TOOLS:-floor hypercare reladiff data-diff}
venvs=${VENVS:-/work/bench-venvs}
data=${BENCH_DATA:-/work/bench-data/$rows}
db=${BENCH_DB:-hcbench}
export BENCH_DB=$db
all_cols=(name city born seen amount active uid visits note)
# data-diff prints a date differently through its two drivers and flags
# every row: it compares the other nine columns (see README).
dd_cols=(name city seen amount active uid visits note)

install() { # venv package constraints...
  local dir=$venvs/$1; shift
  [ -x "$dir/bin/python" ] || python3 -m venv "$dir"
  "$dir/bin/pip" install -q "$@"
}
case " $tools " in *" reladiff "*) [ -x "$venvs/reladiff/bin/reladiff" ] ||
  install reladiff "reladiff[postgresql,mysql]==0.6.0";; esac
case " $tools " in *" data-diff "*) [ -x "$venvs/datadiff/bin/data-diff" ] ||
  install datadiff -c "$here/constraints.txt" "data-diff[postgresql,mysql]==0.11.2";; esac
if [ "${SKIP_LOAD:-0}" != 1 ] || [ ! -f "$data/expected.json" ]; then
  start=$(date +%s.%N); bash "$here/load.sh" "$rows" "$data"
  echo "load: $(echo "$(date +%s.%N) - $start" | bc) s"
fi
bin=${HYPERCARE_BIN:-}
if [ -z "$bin" ]; then
  (cd "$root" && cargo build --release --quiet)
  bin=${CARGO_TARGET_DIR:-$root/target}/release/hypercare
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

config() { # source_table
  local list; list=$(printf '"%s", ' "${all_cols[@]}"); list="[${list%, }]"
  cat <<TOML
[sources.pg]
url = "postgres://postgres@127.0.0.1:5432/${db}"
statement_timeout = "30m"
[sources.my]
url = "mysql://root@127.0.0.1:3306/${db}"
statement_timeout = "30m"
[[reconcile]]
name = "bench"
schedule = "0 0 0 * * *"
timeout = "2h"
max_keys = 1000000
source = { from = "pg", table = "$1", key = "id", columns = $list }
target = { from = "my", table = "bench", key = "id", columns = $list }
TOML
}
config bench > "$out/clean.toml"
config bench_diff > "$out/diff.toml"
echo '{"missing": [], "extra": [], "changed": []}' > "$out/clean.json"
cp "$data/expected.json" "$out/diff.json"

results=$out/results.tsv
timed() { # run case tool findings_kind command...
  local run=$1 case=$2 tool=$3 kind=$4; shift 4
  local log=$out/$case-$tool
  /usr/bin/time -f "%e %M" -o "$out/time" "$@" > "$log.out" 2> "$log.err" || true
  local wall rss verdict="-"
  read -r wall rss < <(tail -1 "$out/time")
  if [ "$kind" != none ]; then
    verdict=$(python3 "$here/compare.py" "$kind" "$log.out" "$out/$case.json") || verdict="unreadable: $(tail -c 300 "$log.err")"
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$run" "$case" "$tool" "$wall" "$((rss / 1024))" "$verdict" | tee -a "$results"
}
cols_list() { local IFS=,; echo "$*"; }
floor_pg="SELECT sum(('x' || substr(md5(concat_ws('|', id, $(cols_list "${all_cols[@]}"))), 1, 15))::bit(60)::bigint) FROM"
floor_my="SELECT SUM(CAST(CONV(SUBSTRING(MD5(CONCAT_WS('|', id, $(cols_list "${all_cols[@]}"))), 1, 15), 16, 10) AS UNSIGNED)) FROM"
pg_url=postgresql://postgres:x@127.0.0.1:5432/${db}   # a dummy password: both peers want one
my_url=mysql://root@127.0.0.1:3306/${db}
echo "rows=$rows runs=$runs cases=$cases tools=$tools load=$(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do
  for case in $cases; do
    src=bench; [ "$case" = diff ] && src=bench_diff
    for tool in $tools; do
      case $tool in
      floor)
        timed "$i" "$case" floor-postgres none psql -qAtX -h 127.0.0.1 -U postgres -d ${db} -c "$floor_pg $src"
        timed "$i" "$case" floor-mariadb none mariadb -h127.0.0.1 -uroot ${db} -Nse "$floor_my bench";;
      hypercare) timed "$i" "$case" hypercare hypercare "$bin" check --json -c "$out/$case.toml";;
      reladiff)
        args=("$pg_url" "$src" "$my_url" bench -k id); for c in "${all_cols[@]}"; do args+=(-c "$c"); done
        COLUMNS=1000 timed "$i" "$case" reladiff diff "$venvs/reladiff/bin/reladiff" "${args[@]}";;
      data-diff)
        args=(--no-tracking "$pg_url" "$src" "$my_url" bench -k id); for c in "${dd_cols[@]}"; do args+=(-c "$c"); done
        COLUMNS=1000 timed "$i" "$case" data-diff diff "$venvs/datadiff/bin/data-diff" "${args[@]}";;
      esac
    done
  done
done
python3 "$here/summary.py" "$results" "$rows"
[ -z "${KEEP_RESULTS:-}" ] || cp "$results" "$KEEP_RESULTS"
