#!/bin/sh
# PostgreSQL events → MariaDB arrivals (the streamed merge): wall time and
# peak RSS of `hypercare check` on the bench data (setup.sql in PostgreSQL,
# setup_mariadb.sql in MariaDB), judged as at epoch 1800000000 by shifting
# both sides' `at` back by the seconds from then to now.
# Usage: bench/handoffs/cross.sh PG_URL MYSQL_URL [BINARY] [rounds]
set -eu
pg=$1; my=$2; bin=${3:-target/release/hypercare}; rounds=${4:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
uptime
for i in $(seq "$rounds"); do
  off=$((1800000000 - $(date +%s)))
  cat > "$dir/hypercare.toml" <<EOF
[sources.ehr]
url = "$pg"
statement_timeout = "30m"
[sources.billing]
url = "$my"
statement_timeout = "30m"

[[handoffs]]
name = "bench_cross"
schedule = "0 0 * * * *"
timeout = "30m"
within = "48h"
look_back = "14d"
from = { from = "ehr", sql = "SELECT id AS key, closed_at - make_interval(secs => $off) AS at FROM h17_events WHERE status = 'finished'" }
to = { from = "billing", sql = "SELECT encounter_ref AS \`key\`, created_at - INTERVAL $off SECOND AS at FROM h17_claims" }
EOF
  /usr/bin/time -f "%e s wall, %M KiB peak RSS" -o "$dir/time" "$bin" check --json -c "$dir/hypercare.toml" > "$dir/out.json" || true
  echo "round $i: $(cat "$dir/time")"
  python3 -c "import json,sys; r=json.load(open(sys.argv[1]))[0]; d=r['details']; print('  ', r['status'], {k: d.get(k) for k in ['events','completed','late','pending','stuck','unexpected','duplicated','pushed_down','error']})" "$dir/out.json"
done
uptime
