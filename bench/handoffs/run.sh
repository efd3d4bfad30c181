#!/bin/sh
# Times hypercare's pushed handoff statement (pushed.sql, as sql::pushed
# writes it for the judged moment epoch 1800000000, 48 h, 14 d, 100 keys)
# against the hand-written anti-join (antijoin.sql), alternating, in one run.
# Usage: bench/handoffs/run.sh postgres://postgres@127.0.0.1:5432/h17bench [rounds]
set -eu
url=$1; rounds=${2:-3}; here=$(dirname "$0")
uptime
for i in $(seq "$rounds"); do
  for q in antijoin pushed; do
    start=$(date +%s.%N)
    psql -qAt "$url" -f "$here/$q.sql" > "/tmp/h17-$q.out"
    end=$(date +%s.%N)
    echo "$q round $i: $(echo "$end - $start" | bc) s"
  done
done
uptime
