#!/usr/bin/env bash
# Loads OUT_DIR/source.csv into PostgreSQL (hcbench.bench) and target.csv
# into MariaDB (hcbench.bench). usage: load.sh OUT_DIR
set -euo pipefail
dir=$1
psql -q -h 127.0.0.1 -U postgres -d test -c "DROP DATABASE IF EXISTS hcbench" -c "CREATE DATABASE hcbench"
psql -q -h 127.0.0.1 -U postgres -d hcbench <<SQL
CREATE TABLE bench (id integer PRIMARY KEY, name varchar(64), city varchar(64), born date, seen timestamp(6),
  amount numeric(12,2), active boolean, uid uuid, visits integer, note text);
\copy bench FROM '$dir/source.csv' WITH (FORMAT csv, NULL '\N')
ANALYZE bench;
SQL
mariadb -h127.0.0.1 -uroot --local-infile=1 <<SQL
SET GLOBAL local_infile = 1;
DROP DATABASE IF EXISTS hcbench; CREATE DATABASE hcbench; USE hcbench;
CREATE TABLE bench (id INT PRIMARY KEY, name VARCHAR(64), city VARCHAR(64), born DATE, seen DATETIME(6),
  amount DECIMAL(12,2), active TINYINT(1), uid CHAR(36), visits INT, note TEXT);
LOAD DATA LOCAL INFILE '$dir/target.csv' INTO TABLE bench FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"'
  LINES TERMINATED BY '\n';
ANALYZE TABLE bench;
-- The source again: the no-difference case (checksums only).
CREATE TABLE bench_same LIKE bench;
LOAD DATA LOCAL INFILE '$dir/source.csv' INTO TABLE bench_same FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '"'
  LINES TERMINATED BY '\n';
ANALYZE TABLE bench_same;
SQL
