#!/usr/bin/env bash
# Generates the benchmark tables inside the databases (no row-by-row client):
#   PostgreSQL DB.bench       N rows, the clean source
#   MariaDB    DB.bench       the same rows (PostgreSQL's COPY piped into
#                                  LOAD DATA), the target of both cases
#   PostgreSQL DB.bench_diff  bench with 0.1 % planted differences:
#                                  a third missing in the target, a third extra
#                                  in the target, a third changed (`name`)
# Every value is a function of the key, so the tables are the same run to run.
# Writes OUT_DIR/expected.json with the planted keys.
# usage: load.sh ROWS OUT_DIR      (Env: BENCH_DB, the database name DB, default hcbench)
set -euo pipefail
rows=$1
dir=$2
db=${BENCH_DB:-hcbench}   # one database name on both engines
mkdir -p "$dir"
pg() { psql -qX -v ON_ERROR_STOP=1 -h 127.0.0.1 -U postgres "$@"; }
# Planted keys: 0.1 % of keys, spread by a multiplicative hash; the residue
# picks the kind. Missing rows are left out of the clean tables on both sides
# and added back to bench_diff.
planted="(id::bigint * 2654435761) % 1000003"
pg -d test -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
pg -d $db <<SQL
CREATE FUNCTION bench_rows(lo bigint, hi bigint) RETURNS TABLE (id integer, name varchar(64),
  city varchar(64), born date, seen timestamp(6), amount numeric(12,2), active boolean, uid uuid,
  visits integer, note text) LANGUAGE sql AS \$\$
  SELECT i::int,
    (ARRAY['alder','birch','cedar','douglas','elm','fir','ginkgo','hazel','ironwood','juniper','larch','maple'])[1 + (i * 7) % 12]
      || ' ' || (ARRAY['alder','birch','cedar','douglas','elm','fir','ginkgo','hazel','ironwood','juniper','larch','maple'])[1 + (i * 13) % 11]
      || ' ' || i,
    upper((ARRAY['alder','birch','cedar','douglas','elm','fir','ginkgo','hazel','ironwood','juniper','larch','maple'])[1 + (i * 31) % 12]),
    date '1930-01-01' + ((i * 7919) % 34000)::int,
    timestamp '2025-01-01' + ((i * 104729) % 31536000000) * interval '1 millisecond' + (i % 1000) * interval '1 microsecond',
    ((i * 2654435761) % 1000000000) / 100.0,
    i % 3 = 0,
    md5(i::text)::uuid,
    ((i * 37) % 500)::int,
    CASE WHEN i % 10 = 0 THEN NULL WHEN i % 10 = 1 THEN '' ELSE 'note ' || i END
  FROM generate_series(lo, hi) i
\$\$;
CREATE UNLOGGED TABLE bench (id integer PRIMARY KEY, name varchar(64), city varchar(64), born date,
  seen timestamp(6), amount numeric(12,2), active boolean, uid uuid, visits integer, note text);
INSERT INTO bench SELECT * FROM bench_rows(1, $rows) r WHERE NOT ($planted BETWEEN 0 AND 332);
CREATE UNLOGGED TABLE bench_diff AS SELECT * FROM bench WHERE NOT ($planted BETWEEN 333 AND 665);
UPDATE bench_diff SET name = name || ' (changed)' WHERE $planted BETWEEN 666 AND 999;
INSERT INTO bench_diff SELECT * FROM bench_rows(1, $rows) r WHERE $planted BETWEEN 0 AND 332;
ALTER TABLE bench_diff ADD PRIMARY KEY (id);
VACUUM ANALYZE bench; VACUUM ANALYZE bench_diff;
SQL
pg -d $db -At -c "SELECT json_build_object(
  'missing', COALESCE(json_agg(id ORDER BY id) FILTER (WHERE p BETWEEN 0 AND 332), '[]'),
  'extra', COALESCE(json_agg(id ORDER BY id) FILTER (WHERE p BETWEEN 333 AND 665), '[]'),
  'changed', COALESCE(json_agg(id ORDER BY id) FILTER (WHERE p BETWEEN 666 AND 999), '[]'))
  FROM (SELECT id, $planted AS p FROM generate_series(1, $rows) id) k" > "$dir/expected.json"
# The target: PostgreSQL's rows through a pipe (booleans as 0/1 for TINYINT(1)).
fifo="$dir/rows.fifo"
rm -f "$fifo"; mkfifo "$fifo"
pg -d $db -c "\\copy (SELECT id, name, city, born, seen, amount, active::int, uid, visits, note FROM bench ORDER BY id) TO '$fifo' WITH (FORMAT csv, NULL '\\N')" &
mariadb -h127.0.0.1 -uroot --local-infile=1 <<SQL
SET GLOBAL local_infile = 1;
DROP DATABASE IF EXISTS $db; CREATE DATABASE $db; USE $db;
CREATE TABLE bench (id INT PRIMARY KEY, name VARCHAR(64), city VARCHAR(64), born DATE, seen DATETIME(6),
  amount DECIMAL(12,2), active TINYINT(1), uid CHAR(36), visits INT, note TEXT);
LOAD DATA LOCAL INFILE '$fifo' INTO TABLE bench FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"'
  LINES TERMINATED BY '\n';
ANALYZE TABLE bench;
SQL
wait
rm -f "$fifo"
python3 - "$dir/expected.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
print("planted: " + ", ".join(f"{len(v)} {k}" for k, v in e.items()))
PY
