#!/usr/bin/env bash
# Hostile peers: `hypercare check` against a loopback FHIR server, token
# endpoint and document host (bench/hostile/server.py) that answer with huge
# bodies, endless chunked bodies, deep JSON, wrong content types, redirects
# to another host, invalid UTF-8 and header floods. For each: exit code, wall
# time, the result line, and the peak RSS (VmHWM from /proc/PID/status,
# sampled every 10 ms until the process exits). Exits 1 when a hostile
# answer passed, or a run outlived its 5 s timeout by more than 2 s.
#   bash bench/hostile/run.sh            # BIN=target/release/hypercare if built
#   BIN=target/debug/hypercare bash bench/hostile/run.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
BIN="${BIN:-target/release/hypercare}"
[ -x "$BIN" ] || BIN=target/debug/hypercare
MODES="${MODES:-ok huge chunked deep ctype redirect utf8 headers}"
D="$(mktemp -d)"
PORT="${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}"
python3 bench/hostile/server.py "$PORT" & SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$D"' EXIT
sleep 0.5
sqlite3 "$D/legacy.db" "CREATE TABLE patients (id INT); INSERT INTO patients VALUES (1);"
sqlite3 "$D/inv.db" "CREATE TABLE docs (id TEXT, kind TEXT, location TEXT, content_type TEXT, size INT, hash TEXT, patient TEXT, created TEXT, status TEXT);"
export HC_HOSTILE_SECRET=s3cret
echo "binary: $BIN; $(uptime)"

config() { # kind mode
  local base="http://127.0.0.1:$PORT/$2"
  case "$1" in
    fhir) cat <<T
[sources.legacy]
url = "sqlite://$D/legacy.db"
[sources.ehr]
fhir = "$base/fhir"
statement_timeout = "5s"
max_retries = 0
[[reconcile]]
name = "hostile_fhir"
schedule = "0 0 * * * *"
source = { from = "legacy", sql = "SELECT COUNT(*) FROM patients" }
target = { from = "ehr", resource = "Patient" }
T
    ;;
    token) cat <<T
[sources.legacy]
url = "sqlite://$D/legacy.db"
[sources.ehr]
fhir = "http://127.0.0.1:$PORT/ok/fhir"
token_url = "$base/token"
client_id = "hypercare"
client_secret_env = "HC_HOSTILE_SECRET"
statement_timeout = "5s"
max_retries = 0
[[reconcile]]
name = "hostile_token"
schedule = "0 0 * * * *"
source = { from = "legacy", sql = "SELECT COUNT(*) FROM patients" }
target = { from = "ehr", resource = "Patient" }
T
    ;;
    documents) cat <<T
[sources.inv]
url = "sqlite://$D/inv.db"
[[documents]]
name = "hostile_documents"
schedule = "0 0 * * * *"
inventory = { from = "inv", sql = "SELECT id, kind, location, content_type, size, hash, patient, created AS date, status FROM docs" }
kinds = { note = ["note"] }
request_timeout = "5s"
content_share = 1.0
sample = 10
storage = { allowed_hosts = ["127.0.0.1"] }
T
    ;;
  esac
}

printf '%-10s %-9s %4s %7s %9s  %s\n' target mode exit seconds peak_MB result
bad=0
for kind in fhir token documents; do
  for mode in $MODES; do
    sqlite3 "$D/inv.db" "DELETE FROM docs; INSERT INTO docs VALUES ('d1', 'note', 'http://127.0.0.1:$PORT/$mode/doc.pdf', 'application/pdf', 45, NULL, '1', '2026-01-01', 'current');"
    config "$kind" "$mode" > "$D/h.toml"
    start=$(date +%s.%N)
    "$BIN" check -c "$D/h.toml" > "$D/out" 2>&1 & pid=$!
    peak=0
    while kill -0 "$pid" 2>/dev/null; do
      v=$(awk '/VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null)
      [ -n "$v" ] && peak=$v
      sleep 0.01
    done
    wait "$pid"; rc=$?
    secs=$(echo "$(date +%s.%N) - $start" | bc)
    result=$(grep -E 'hostile_' "$D/out" | head -1 | tr -s ' ' | cut -c1-150)
    printf '%-10s %-9s %4s %7.2f %9.1f  %s\n' "$kind" "$mode" "$rc" "$secs" "$(echo "$peak/1024" | bc -l)" "$result"
    if [ "$mode" != ok ] && { [ "$rc" = 0 ] || [ "$(echo "$secs > 7" | bc)" = 1 ]; }; then bad=1; fi
  done
done

# The daemon under all of them at once: every hostile check every 10 s for
# 40 s; peak RSS of `hypercare run`, the slowest /healthz, runs by status.
[ "${DAEMON:-1}" = 1 ] || exit $bad
HP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
{
  printf '[server]\nlisten = "127.0.0.1:%s"\n[store]\nurl = "sqlite://%s/store.db"\n' "$HP" "$D"
  printf '[sources.legacy]\nurl = "sqlite://%s/legacy.db"\n[sources.inv]\nurl = "sqlite://%s/inv.db"\n' "$D" "$D"
  for mode in $MODES; do
    for kind in fhir token; do
      config "$kind" "$mode" | awk '/^\[sources.legacy\]/{skip=2} skip>0{skip--; next} {print}' \
        | sed -e "s/sources.ehr/sources.${kind}_$mode/; s/from = \"ehr\"/from = \"${kind}_$mode\"/" \
              -e "s/name = \"hostile_$kind\"/name = \"hostile_${kind}_$mode\"/; s/0 0 \* \* \* \*/*\/10 * * * * */"
    done
  done
  config documents ok | awk '/^\[sources.inv\]/{skip=2} skip>0{skip--; next} {print}' \
    | sed -e 's/0 0 \* \* \* \*/*\/10 * * * * */'
} > "$D/daemon.toml"
sqlite3 "$D/inv.db" "DELETE FROM docs;"
for mode in $MODES; do
  sqlite3 "$D/inv.db" "INSERT INTO docs VALUES ('d-$mode', 'note', 'http://127.0.0.1:$PORT/$mode/doc.pdf', 'application/pdf', 45, NULL, '1', '2026-01-01', 'current');"
done
"$BIN" run -c "$D/daemon.toml" > "$D/daemon.log" 2>&1 & pid=$!
peak=0; worst=0
for _ in $(seq 1 40); do
  v=$(awk '/VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null); [ -n "$v" ] && peak=$v
  t=$(curl -s -o /dev/null -m 5 -w '%{time_total}' "http://127.0.0.1:$HP/healthz" || echo 5)
  worst=$(echo "if ($t > $worst) $t else $worst" | bc -l)
  sleep 1
done
kill "$pid"; wait "$pid" 2>/dev/null
echo "daemon, all hostile checks every 10 s for 40 s: peak RSS $(echo "$peak/1024" | bc) MB, slowest /healthz ${worst}s"
sqlite3 "$D/store.db" "SELECT status, COUNT(*) FROM runs GROUP BY status;" | sed 's/^/  runs /'
exit $bad
