#!/usr/bin/env bash
# Probe overhead per workflow step, three times (see README.md).
# Needs wrk (Debian: apt-get install wrk) and curl on the PATH; without them
# their rows are left out.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v wrk >/dev/null || echo "wrk not found: its rows will be missing (apt-get install wrk)" >&2
cargo bench --bench workflows --no-run
for i in 1 2 3; do
  echo "== run $i"
  cargo bench --bench workflows 2>/dev/null | grep -v '^$' | grep -v 'Running\|Finished'
done
