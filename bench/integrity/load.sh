#!/usr/bin/env bash
# Loads the generated CSVs (gen.py) into a fresh database `hc_integrity_bench`
# on PostgreSQL and on MariaDB:  load.sh DATA_DIR
# Connection: PGHOST/PGPORT/PGUSER (default 127.0.0.1:5432, postgres) and
# MYSQL_HOST/MYSQL_PORT/MYSQL_USER (default 127.0.0.1:3306, root).
set -euo pipefail
data=$(cd "$1" && pwd)
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
my=(mariadb -h"${MYSQL_HOST:-127.0.0.1}" -P"${MYSQL_PORT:-3306}" -u"${MYSQL_USER:-root}")
db=hc_integrity_bench

# The same schema on both engines: types both spell alike.
schema="
CREATE TABLE patient (id BIGINT PRIMARY KEY, mrn VARCHAR(16) NOT NULL, family VARCHAR(64),
  given VARCHAR(64), birth_date DATE, gender VARCHAR(8), zip VARCHAR(10), phone VARCHAR(20),
  npi VARCHAR(10), loinc VARCHAR(10), icd10 VARCHAR(10), legacy_code VARCHAR(10),
  clinic VARCHAR(16) NOT NULL, updated_at TIMESTAMP NULL);
CREATE TABLE appointment (id BIGINT PRIMARY KEY, patient_id BIGINT NOT NULL,
  patient_ref VARCHAR(20) NOT NULL, start_at TIMESTAMP NULL);
CREATE TABLE code_map (legacy_code VARCHAR(10) PRIMARY KEY, target_code VARCHAR(10) NOT NULL);
CREATE INDEX patient_updated_at ON patient (updated_at);
"

echo "PostgreSQL: loading into $db"
psql -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -q -d $db -c "$schema"
start=$SECONDS
for t in patient appointment code_map; do
  psql -q -d $db -c "\\copy $t FROM '$data/$t.csv' WITH (FORMAT csv, NULL '\\N')"
done
psql -q -d $db -c "VACUUM ANALYZE"
echo "  loaded in $((SECONDS - start)) s"

echo "MariaDB: loading into $db"
"${my[@]}" -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
"${my[@]}" $db -e "$schema"
start=$SECONDS
for t in patient appointment code_map; do
  "${my[@]}" --local-infile=1 $db -e "SET unique_checks = 0; LOAD DATA LOCAL INFILE '$data/$t.csv'
    INTO TABLE $t FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' LINES TERMINATED BY '\n'"
done
"${my[@]}" $db -e "ANALYZE TABLE patient, appointment, code_map" >/dev/null
echo "  loaded in $((SECONDS - start)) s"
