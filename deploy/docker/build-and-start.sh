#!/usr/bin/env bash
# Builds hypercare's runtime image on this machine and starts it as users
# would, then reports what it measured:
#   - build: buildah (vfs storage, chroot isolation) from
#     deploy/docker/Containerfile.scratch: FROM scratch plus the release
#     binary (stripped), the libraries `ldd` names, passwd/group and the CA
#     bundle (no base image can be pulled here);
#   - start: podman (vfs, runc, cgroupfs, host network), non-root (65532),
#     read-only root file system, all capabilities dropped, the store on
#     PostgreSQL from the environment (HYPERCARE_STORE_URL), the config
#     mounted read-only at /etc/hypercare;
#   - waits until the image's health check passes (`podman healthcheck run`),
#     scrapes /metrics from outside the container, reads the process's RSS,
#     stops it with SIGTERM and checks that it exits 0;
#   - prints the image size, time to healthy, RSS, exit code.
# Installs podman, buildah and runc from Debian when they are missing.
# Env: BIN (a hypercare binary; default: cargo build --release),
#      PG_URL (a PostgreSQL server, default postgres://postgres@127.0.0.1:5432;
#      a fresh database hypercare_image is made on it), KEEP_IMAGE=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
pg=${PG_URL:-postgres://postgres@127.0.0.1:5432}
image=localhost/hypercare:local
name=hypercare-image-check-$$

if ! command -v podman >/dev/null || ! command -v buildah >/dev/null || ! command -v runc >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman buildah runc >/dev/null
fi
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked --quiet --bin hypercare
  BIN=${CARGO_TARGET_DIR:-$root/target}/release/hypercare
fi

work=$(mktemp -d)
conf=$work/containers.conf
# crun/runc's setrlimit of default ulimits fails in this kind of sandbox.
printf '[containers]\ndefault_ulimits = []\n' >"$conf"
export CONTAINERS_CONF=$conf
podman() { command podman --storage-driver vfs --runtime runc --cgroup-manager cgroupfs "$@"; }
buildah() { command buildah --storage-driver vfs "$@"; }
cleanup() {
  podman rm -f "$name" >/dev/null 2>&1 || true
  [ -n "${KEEP_IMAGE:-}" ] || podman rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# The context: the binary and what it needs at run time, at their paths.
ctx=$work/ctx
mkdir -p "$ctx/rootfs/usr/local/bin" "$ctx/rootfs/etc/ssl/certs" "$ctx/rootfs/var/lib/hypercare" "$ctx/rootfs/tmp"
cp deploy/docker/Containerfile.scratch "$ctx/Containerfile"
install -m 0755 "$BIN" "$ctx/rootfs/usr/local/bin/hypercare"
strip --strip-all "$ctx/rootfs/usr/local/bin/hypercare"
for lib in $(ldd "$BIN" | grep -o '/[^ ]*'); do
  mkdir -p "$ctx/rootfs$(dirname "$lib")"
  cp -L "$lib" "$ctx/rootfs$lib"
done
cp -L /etc/ssl/certs/ca-certificates.crt "$ctx/rootfs/etc/ssl/certs/"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$ctx/rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$ctx/rootfs/etc/group"
chown 65532:65532 "$ctx/rootfs/var/lib/hypercare"
chmod 1777 "$ctx/rootfs/tmp"

t0=$(date +%s.%N)
# Docker format keeps the HEALTHCHECK (OCI image configs have none).
buildah bud --isolation chroot --format docker --quiet -t "$image" "$ctx" >/dev/null
t1=$(date +%s.%N)
size=$(podman image inspect "$image" --format '{{.Size}}')
gz=$(podman save --format docker-archive "$image" 2>/dev/null | gzip -6 | wc -c)

# A fresh store database; the config reads its URL from the environment.
db=hypercare_image
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 "$pg/postgres" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/etc"
cat >"$work/etc/hypercare.toml" <<TOML
[server]
listen = "127.0.0.1:$port"

[store]
url_env = "HYPERCARE_STORE_URL"

[sources.legacy]
url_env = "HYPERCARE_STORE_URL"
read_only = true

[sources.target]
url_env = "HYPERCARE_STORE_URL"
read_only = true

[[reconcile]]
name = "tables_total"
schedule = "*/5 * * * * *"
source = { from = "legacy", sql = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'" }
target = { from = "target", sql = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'public'" }
TOML
chmod -R a+rX "$work/etc"

s0=$(date +%s.%N)
podman run -d --name "$name" --network host \
  --user 65532:65532 --read-only --cap-drop ALL --security-opt no-new-privileges \
  -e HYPERCARE_STORE_URL="$pg/$db" \
  -v "$work/etc:/etc/hypercare:ro" \
  --health-cmd '["/usr/local/bin/hypercare", "health", "http://127.0.0.1:'"$port"'/healthz"]' \
  --health-interval disable \
  "$image" >/dev/null
healthy=
for _ in $(seq 300); do
  if podman healthcheck run "$name" >/dev/null 2>&1; then healthy=$(date +%s.%N); break; fi
  [ "$(podman inspect -f '{{.State.Running}}' "$name")" = true ] || break
  sleep 0.1
done
if [ -z "$healthy" ]; then
  echo "FAIL: the container never became healthy"; podman logs "$name" | tail -20; exit 1
fi
metrics=$(curl -sf "http://127.0.0.1:$port/metrics")
grep -q 'hypercare_build_info{store="postgres"' <<<"$metrics" || grep -q 'store="postgres"' <<<"$metrics" \
  || { echo "FAIL: /metrics does not show the PostgreSQL store"; exit 1; }
# Idle RSS once the check has run a few times (every 5 s), 10 samples.
sleep 15
for _ in $(seq 5); do
  curl -sf "http://127.0.0.1:$port/metrics" | grep -q 'hypercare_check_status{check="tables_total",kind="reconcile",status="pass"} 1' && break
  sleep 1
done
pid=$(podman inspect -f '{{.State.Pid}}' "$name")
user=$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")
rss=$(for _ in $(seq 10); do awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; sleep 1; done | sort -n | sed -n 5p)
podman kill --signal TERM "$name" >/dev/null
code=$(podman wait "$name")
podman logs "$name" 2>&1 | tail -3 >"$work/log"

printf 'image %s: %.1f MB uncompressed (podman image inspect: %s B), %.1f MB as a gzip -6 docker-archive; built in %.1f s\n' \
  "$image" "$(echo "$size/1000000" | bc -l)" "$size" "$(echo "$gz/1000000" | bc -l)" "$(echo "$t1-$t0" | bc -l)"
printf 'healthy %.2f s after podman run (uid %s, read-only root, store on PostgreSQL from HYPERCARE_STORE_URL)\n' \
  "$(echo "$healthy-$s0" | bc -l)" "$user"
printf 'RSS inside the container (median of 10 samples, 1/s, after 15 s): %.1f MiB\n' "$(echo "$rss/1024" | bc -l)"
echo "/metrics scraped from outside: $(grep -c '^hypercare_' <<<"$metrics") hypercare series"
echo "exit code after SIGTERM: $code"
sed 's/^/  log: /' "$work/log"
[ "$code" = 0 ] || { echo "FAIL: exit code $code"; exit 1; }
PGOPTIONS=--client-min-messages=warning psql -q -v ON_ERROR_STOP=1 "$pg/postgres" -c "DROP DATABASE IF EXISTS $db"
