#!/usr/bin/env python3
"""1 M registration-desk patients on PostgreSQL and MariaDB: hypercare's
probable_duplicates rule (wall time and peak RSS of the scoring process)
next to Splink 5.0.0 on DuckDB over the same rows (wall time and peak RSS of
its process), with pairwise precision/recall/F1 of both at p >= 0.5.

    python3 bench/empi/scale.py EMPI_BENCH_BINARY [ROWS] [WORKDIR]

Splink is given the same blocking keys as hypercare (birth date, phone,
postal code + given initial, given + family name), since its FEBRL rules
(one name alone) are quadratic at this size.
"""
import csv
import itertools
import json
import resource
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).parent
PG = "postgres://postgres@127.0.0.1:5432/hc_empi_bench"
MY = "mysql://root@127.0.0.1:3306/hc_empi_bench"
DDL = ("CREATE TABLE empi_patient_data (pid INT PRIMARY KEY, fname VARCHAR(64), lname VARCHAR(64), "
       "DOB DATE, sex VARCHAR(16), phone_home VARCHAR(32), postal_code VARCHAR(10), street VARCHAR(128))")


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, check=True, **kw)


def load(rows, work):
    """Generates the rows inside PostgreSQL (gen.sql: generate_series, no
    client loop), then copies the same rows to MariaDB and to the CSV
    Splink reads. Returns the CSV's path."""
    body = work / f"patients-{rows}.csv"
    sh("psql -q postgres://postgres@127.0.0.1:5432/test -c 'DROP DATABASE IF EXISTS hc_empi_bench' "
       "-c 'CREATE DATABASE hc_empi_bench'")
    t0 = time.time()
    sh(f"psql -q {PG} -v rows={rows} -f {HERE / 'gen.sql'}", stdout=subprocess.DEVNULL)
    print(f"generated {rows} rows in PostgreSQL in {time.time() - t0:.1f} s", file=sys.stderr)
    sh(f"psql -q {PG} -c \"\\copy (SELECT pid, fname, lname, \\\"DOB\\\", sex, phone_home, postal_code, "
       f"street, truth FROM empi_patient_data ORDER BY pid) TO '{body}' CSV HEADER\"")
    sh("mariadb -uroot -h127.0.0.1 -e 'DROP DATABASE IF EXISTS hc_empi_bench; CREATE DATABASE hc_empi_bench'")
    sh(f"mariadb -uroot -h127.0.0.1 --local-infile=1 hc_empi_bench -e \"{DDL}; LOAD DATA LOCAL INFILE '{body}' "
       "INTO TABLE empi_patient_data FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\\\"' IGNORE 1 LINES "
       "(pid,fname,lname,DOB,sex,@p,postal_code,street,@t) SET phone_home = NULLIF(@p, ''); "
       "ANALYZE TABLE empi_patient_data\"", stdout=subprocess.DEVNULL)
    return body


def truth(csv_path):
    by = defaultdict(list)
    with open(csv_path) as f:
        for row in csv.DictReader(f):
            by[row["truth"]].append(row["pid"])
    return {tuple(sorted(p)) for ids in by.values() for p in itertools.combinations(ids, 2)}


def score(found, true):
    tp = len(found & true)
    p = tp / len(found) if found else 0.0
    r = tp / len(true) if true else 0.0
    return {"pairs": len(found), "precision": round(p, 4), "recall": round(r, 4),
            "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def hypercare(binary, url, work, engine):
    cfg = work / f"{engine}.toml"
    cfg.write_text(f"""[sources.db]
url = "{url}"
statement_timeout = "30m"

[[integrity]]
name = "desk"
schedule = "0 0 * * * *"
from = "db"
timeout = "1h"

[[integrity.rules]]
name = "patients"
kind = "probable_duplicates"
table = "empi_patient_data"
key = "pid"
person = {{ given = "fname", family = "lname", birth_date = "DOB", sex = "sex", phone = "phone_home", postal_code = "postal_code", address = "street" }}
""")
    t0 = time.time()
    run = subprocess.run([binary, str(cfg), "desk", "patients"], capture_output=True, text=True, check=True)
    secs = time.time() - t0
    stats = json.loads(run.stderr.strip().splitlines()[-1])
    found = set()
    for line in run.stdout.splitlines():
        a, b, p = line.split("\t")[:3]
        if float(p) >= 0.5:
            found.add(tuple(sorted((a, b))))
    return found, {"seconds": round(secs, 1), "peak_rss_mb": round(stats["peak_rss_kb"] / 1024, 1),
                   "candidates": stats["candidates"]}


def splink(csv_path):
    """Runs Splink in a child process so its peak RSS is its own."""
    t0 = time.time()
    run = subprocess.run([sys.executable, str(HERE / "splink_scale.py"), str(csv_path)],
                         capture_output=True, text=True, check=True)
    secs = time.time() - t0
    lines = run.stdout.strip().splitlines()
    stats = json.loads(lines[0])
    found = {tuple(sorted(l.split("\t"))) for l in lines[1:]}
    return found, {"seconds": round(secs, 1), "peak_rss_mb": stats["peak_rss_mb"]}


def main():
    binary = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    work = Path(sys.argv[3] if len(sys.argv) > 3 else "/tmp/hypercare-empi-scale")
    work.mkdir(parents=True, exist_ok=True)
    data = load(rows, work)
    true = truth(data)
    out = {"rows": rows, "true_pairs": len(true)}
    for engine, url in [("postgres", PG), ("mariadb", MY)]:
        found, stats = hypercare(binary, url, work, engine)
        out[f"hypercare_{engine}"] = {**score(found, true), **stats}
    found, stats = splink(data)
    out["splink_duckdb"] = {**score(found, true), **stats}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
