#!/usr/bin/env bash
# Idle resident memory of `hypercare run` on the demo config.
# Generates the demo folder once (`hypercare demo`, stopped as soon as it
# serves), then starts `hypercare run -c <demo>/hypercare.toml`, waits until
# the demo's every-10-seconds checks have run a few times, and samples VmRSS
# once a second for 30 s. Prints min/median/max; repeat runs for the spread.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/hypercare
dir=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$dir"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 60); do curl -sf "http://127.0.0.1:$1/readyz" >/dev/null && return 0; sleep 0.5; done; return 1; }

port=$(free_port)
"$bin" demo --dir "$dir/demo" --listen "127.0.0.1:$port" >/dev/null 2>&1 &
pids+=($!)
wait_ready "$port"
kill -TERM "${pids[0]}"; wait "${pids[0]}" || true

port=$(free_port)
sed -i "s/^listen = .*/listen = \"127.0.0.1:$port\"/" "$dir/demo/hypercare.toml"
"$bin" run -c "$dir/demo/hypercare.toml" 2>"$dir/log" &
pid=$!
pids+=($pid)
wait_ready "$port"
sleep 25   # two or three rounds of the demo's checks
samples=()
for _ in $(seq 30); do
  samples+=("$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")")
  sleep 1
done
printf '%s\n' "${samples[@]}" | sort -n | awk '{a[NR]=$1} END {printf "idle RSS of hypercare run on the demo config, %d samples: min %.1f MB, median %.1f MB, max %.1f MB\n", NR, a[1]/1024, a[int((NR+1)/2)]/1024, a[NR]/1024}'
echo "checks finished during the run: $(grep -c 'check finished' "$dir/log")"
