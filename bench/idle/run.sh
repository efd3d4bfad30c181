#!/usr/bin/env bash
# Idle resident memory of `hypercare run`, on two configs:
#   one-check  a single count reconciliation every 10 s on the demo's two
#              SQLite databases (SQLite store, no feedback, no alerts config);
#   demo       the config `hypercare demo` writes (8 reconciliations with a
#              keyed diff, 2 integrity checks, documents, workflow probes,
#              feedback, clinics, alert rules, stabilization).
# Each run starts `hypercare run`, waits until it is ready and its checks have
# run a few times (25 s), then samples VmRSS from /proc/PID/status once a
# second, 30 times. RUNS runs per config (default 3); prints each run's
# median and the median of the medians, plus where the last run's memory is
# (smaps_rollup: anonymous vs file-backed; threads). If Debian's
# prometheus-blackbox-exporter is installed it is sampled the same way as a
# peer (an idle daemon of the same shape: HTTP server + /metrics).
# BIN=path skips the release build; PEER=0 skips the peer.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-3}
samples_n=${SAMPLES:-30}
settle=${SETTLE:-25}
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --bin hypercare
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/hypercare
fi
dir=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$dir"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_url() { for _ in $(seq 120); do curl -sf "$1" >/dev/null && return 0; sleep 0.5; done; return 1; }

# The demo folder: databases, documents, config (the demo stops once it serves).
port=$(free_port)
"$BIN" demo --dir "$dir/demo" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
pids+=($!)
wait_url "http://127.0.0.1:$port/readyz"
kill -TERM "${pids[-1]}"; wait "${pids[-1]}" || true

cat >"$dir/one-check.toml" <<TOML
[server]
listen = "127.0.0.1:PORT"

[store]
url = "sqlite://$dir/one-check.db"

[sources.legacy]
url = "sqlite://$dir/demo/legacy.db"

[sources.target]
url = "sqlite://$dir/demo/target.db"

[[reconcile]]
name = "patients_total"
schedule = "*/10 * * * * *"
source = { from = "legacy", sql = "SELECT COUNT(*) FROM patient_data WHERE deleted = 0" }
target = { from = "target", sql = "SELECT COUNT(*) FROM patient" }
TOML
sed -i 's/^listen = .*/listen = "127.0.0.1:PORT"/' "$dir/demo/hypercare.toml"

# One run: prints the median VmRSS in kB; leaves details in $dir/last.
sample() {
  local pid=$1 s=()
  for _ in $(seq "$samples_n"); do
    s+=("$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")")
    sleep 1
  done
  {
    grep -E '^(Rss|Anonymous|Private_Dirty|Shared_Clean|Private_Clean)' "/proc/$pid/smaps_rollup"
    grep -E '^Threads' "/proc/$pid/status"
  } >"$dir/last"
  printf '%s\n' "${s[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

run_hypercare() {
  local cfg=$1 port pid
  port=$(free_port)
  sed "s/127.0.0.1:PORT/127.0.0.1:$port/" "$cfg" >"$cfg.run"
  "$BIN" run -c "$cfg.run" 2>"$dir/log" &
  pid=$!
  pids+=($pid)
  wait_url "http://127.0.0.1:$port/readyz"
  sleep "$settle"
  sample "$pid"
  kill -TERM "$pid"; wait "$pid" || true
}

run_blackbox() {
  local port pid
  port=$(free_port)
  prometheus-blackbox-exporter --web.listen-address="127.0.0.1:$port" \
    --config.file=/etc/prometheus/blackbox.yml >/dev/null 2>&1 &
  pid=$!
  pids+=($pid)
  wait_url "http://127.0.0.1:$port/metrics"
  # Probed every 10 s like the one-check config's schedule.
  ( while kill -0 "$pid" 2>/dev/null; do
      curl -sf "http://127.0.0.1:$port/probe?target=127.0.0.1:$port&module=tcp_connect" >/dev/null || true
      sleep 10
    done ) &
  pids+=($!)
  sleep "$settle"
  sample "$pid"
  kill -TERM "$pid"; wait "$pid" || true
}

report() {
  local name=$1; shift
  printf '%s\n' "$@" | sort -n | awk -v name="$name" -v all="$*" '{a[NR]=$1} END {
    n=split(all, r, " "); s="";
    for (i=1;i<=n;i++) s=s sprintf("%.1f ", r[i]/1024);
    printf "%-12s runs (median of %s samples each, MiB): %s-> median %.1f MiB\n", name, '"$samples_n"', s, a[int((NR+1)/2)]/1024 }'
  awk '{printf "    %s %s %s", $1, $2, $3} END {print ""}' "$dir/last"
}

declare -A results
order=(one-check demo)
if [ "${PEER:-1}" = 1 ] && command -v prometheus-blackbox-exporter >/dev/null; then order+=(blackbox); fi
for i in $(seq "$runs"); do
  for what in "${order[@]}"; do
    case $what in
      one-check) m=$(run_hypercare "$dir/one-check.toml") ;;
      demo) m=$(run_hypercare "$dir/demo/hypercare.toml") ;;
      blackbox) m=$(run_blackbox) ;;
    esac
    results[$what]="${results[$what]:-} $m"
    cp "$dir/last" "$dir/last.$what"
  done
done
for what in "${order[@]}"; do
  cp "$dir/last.$what" "$dir/last"
  # shellcheck disable=SC2086
  report "$what" ${results[$what]}
done
