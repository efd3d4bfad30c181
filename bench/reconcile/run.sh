#!/usr/bin/env bash
# Keyed diff benchmark: hypercare against data-diff 0.11.2 on the same tables
# (PostgreSQL source, MariaDB target), with the floors next to them.
# usage: bench/reconcile/run.sh [ROWS] [RUNS]     (defaults 1000000, 3)
# Env: BENCH_DATA (CSV folder, default /tmp/hc-bench-ROWS), SKIP_LOAD=1 to reuse
# the loaded tables, DD_VENV (default /tmp/dd-venv) for data-diff.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
rows=${1:-1000000}
runs=${2:-3}
data=${BENCH_DATA:-/tmp/hc-bench-$rows}
venv=${DD_VENV:-/tmp/dd-venv}
cols=(name city seen amount active uid visits note)   # what data-diff compares correctly
all_cols=(name city born seen amount active uid visits note)

if [ ! -x "$venv/bin/data-diff" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -c "$here/constraints.txt" "data-diff[postgresql,mysql]==0.11.2"
fi
[ -f "$data/expected.json" ] || python3 "$here/gen.py" "$rows" "$data"
if [ "${SKIP_LOAD:-0}" != 1 ]; then
  start=$(date +%s.%N); bash "$here/load.sh" "$data"; echo "load: $(echo "$(date +%s.%N) - $start" | bc) s"
fi
(cd "$root" && cargo build --release --quiet)
bin=$root/target/release/hypercare
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

config() { # name target_table columns...
  local name=$1 target_table=$2; shift 2
  local list; list=$(printf '"%s", ' "$@"); list="[${list%, }]"
  cat <<TOML
[sources.pg]
url = "postgres://postgres@127.0.0.1:5432/hcbench"
statement_timeout = "30m"
[sources.my]
url = "mysql://root@127.0.0.1:3306/hcbench"
statement_timeout = "30m"
[[reconcile]]
name = "$name"
schedule = "0 0 0 * * *"
timeout = "2h"
max_keys = 1000000
source = { from = "pg", table = "bench", key = "id", columns = $list }
target = { from = "my", table = "$target_table", key = "id", columns = $list }
TOML
}
config bench bench "${cols[@]}" > "$out/same.toml"
config bench bench "${all_cols[@]}" > "$out/all.toml"
# No differences: the target holds the source's rows (checksums only).
config bench bench_same "${all_cols[@]}" > "$out/nodiff.toml"
echo '{"missing": [], "extra": [], "changed": []}' > "$out/none.json"

timed() { # label command... ; prints "label wall_s rss_mb"
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$out/time" "$@" > "$out/$label.out" 2> "$out/$label.err" || true
  read -r wall rss < <(tail -1 "$out/time")
  echo "$label $wall $(echo "$rss / 1024" | bc)"
}

floor_sql_pg="SELECT sum(('x' || substr(md5(concat_ws('|', id, name, city, born, seen, amount, active, uid, visits, note)), 1, 15))::bit(60)::bigint) FROM bench"
floor_sql_my="SELECT SUM(CAST(CONV(SUBSTRING(MD5(CONCAT_WS('|', id, name, city, born, seen, amount, active, uid, visits, note)), 1, 15), 16, 10) AS UNSIGNED)) FROM bench"
echo "rows=$rows runs=$runs"
for i in $(seq "$runs"); do
  timed "pg_count" psql -qAt -h 127.0.0.1 -U postgres -d hcbench -c "SELECT COUNT(*) FROM bench"
  timed "pg_checksum" psql -qAt -h 127.0.0.1 -U postgres -d hcbench -c "$floor_sql_pg"
  timed "my_count" mariadb -h127.0.0.1 -uroot hcbench -Nse "SELECT COUNT(*) FROM bench"
  timed "my_checksum" mariadb -h127.0.0.1 -uroot hcbench -Nse "$floor_sql_my"
  timed "my_checksum_same" mariadb -h127.0.0.1 -uroot hcbench -Nse "${floor_sql_my/FROM bench/FROM bench_same}"
  timed "hypercare_no_diff" "$bin" check --json -c "$out/nodiff.toml"
  python3 "$here/compare.py" hypercare "$out/hypercare_no_diff.out" "$out/none.json" "${all_cols[*]}"
  timed "hypercare" "$bin" check --json -c "$out/same.toml"
  python3 "$here/compare.py" hypercare "$out/hypercare.out" "$data/expected.json" "${cols[*]}"
  timed "hypercare_all_columns" "$bin" check --json -c "$out/all.toml"
  python3 "$here/compare.py" hypercare "$out/hypercare_all_columns.out" "$data/expected.json" "${all_cols[*]}"
  dd_args=(--no-tracking postgresql://postgres:x@127.0.0.1:5432/hcbench bench mysql://root@127.0.0.1:3306/hcbench bench -k id)
  for c in "${cols[@]}"; do dd_args+=(-c "$c"); done
  COLUMNS=1000 timed "data-diff" "$venv/bin/data-diff" "${dd_args[@]}"
  python3 "$here/compare.py" data-diff "$out/data-diff.out" "$data/expected.json" "${cols[*]}"
done
