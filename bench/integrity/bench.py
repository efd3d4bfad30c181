#!/usr/bin/env python3
"""Times each integrity rule through hypercare next to the database's own time.

    bench.py HYPERCARE_BIN DATA_DIR [ROUNDS]

For every rule below, on PostgreSQL and on MariaDB (database
hc_integrity_bench, loaded by load.sh from gen.py's CSVs):

1. runs `hypercare check NAME --json` once, cold (a new process that connects
   first), with debug logs to learn the exact statements hypercare sends
   (with their bound values) and to check its counts against expected.json;
2. then ROUNDS times (default 3), interleaved:
   - hypercare: the check run in one long-lived process (`cargo bench
     --bench integrity`, connected pools as in the daemon), wall time of the
     whole check (catalog look-up, statements, reading, judging);
   - floor: the same statements run directly in psql / mariadb, whose own
     timing (`\\timing`, `-vvv`) is summed;
   - count only: a hand-written statement a DBA would type for the count
     alone (no sample keys, no rows checked), for reference.

Prints a Markdown table of medians (and min-max) and the ratio hypercare /
floor, and writes results.json into DATA_DIR. HC_BENCH_ONLY (rule names,
comma-separated) and HC_BENCH_ENGINES (pg, my) narrow the run.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

DB = "hc_integrity_bench"
PG = ["psql", "-X", "-q", "-h", os.environ.get("PGHOST", "127.0.0.1"),
      "-p", os.environ.get("PGPORT", "5432"), "-U", os.environ.get("PGUSER", "postgres"), "-d", DB]
MY = ["mariadb", "-h" + os.environ.get("MYSQL_HOST", "127.0.0.1"),
      "-P" + os.environ.get("MYSQL_PORT", "3306"), "-u" + os.environ.get("MYSQL_USER", "root"), DB]
PG_URL = "postgres://{}@{}:{}/{}".format(os.environ.get("PGUSER", "postgres"),
                                         os.environ.get("PGHOST", "127.0.0.1"),
                                         os.environ.get("PGPORT", "5432"), DB)
MY_URL = "mysql://{}@{}:{}/{}".format(os.environ.get("MYSQL_USER", "root"),
                                      os.environ.get("MYSQL_HOST", "127.0.0.1"),
                                      os.environ.get("MYSQL_PORT", "3306"), DB)

# (rule name, aggregate?, rule TOML body, count-only SQL for PostgreSQL, for MariaDB)
RULES = [
    ("dup_patients", True, """kind = "duplicates"
table = "patient"
key = "id"
match = ["lower_trim(family)", "initial(given)", "birth_date"]""",
     "SELECT COUNT(*), SUM(c) FROM (SELECT COUNT(*) c FROM patient WHERE TRIM(family) <> '' AND TRIM(given) <> '' "
     "AND birth_date IS NOT NULL GROUP BY LOWER(TRIM(family)), LOWER(SUBSTR(TRIM(given), 1, 1)), birth_date "
     "HAVING COUNT(*) > 1) d", None),
    ("orphan_appointments", True, """kind = "orphans"
table = "appointment"
key = "id"
column = "patient_id"
ref_table = "patient"
ref_column = "id\"""",
     "SELECT COUNT(*) FROM appointment a WHERE NOT EXISTS (SELECT 1 FROM patient p WHERE p.id = a.patient_id)", None),
    ("orphan_appointments_text", True, """kind = "orphans"
table = "appointment"
key = "id"
column = "patient_ref"
ref_table = "patient"
ref_column = "id"
cast = "integer\"""",
     "SELECT COUNT(*) FROM appointment a WHERE NOT EXISTS (SELECT 1 FROM patient p WHERE p.id = CAST(a.patient_ref AS BIGINT))",
     "SELECT COUNT(*) FROM appointment a WHERE NOT EXISTS (SELECT 1 FROM patient p WHERE p.id = CAST(a.patient_ref AS SIGNED))"),
    ("complete_patients", True, """kind = "completeness"
table = "patient"
key = "id"
fields = ["family", "given", "birth_date"]
min_ratio = "99%\"""",
     "SELECT COUNT(*), COUNT(NULLIF(TRIM(family), '')), COUNT(NULLIF(TRIM(given), '')), COUNT(birth_date) FROM patient",
     None),
    ("valid_zip", True, """kind = "validity"
table = "patient"
key = "id"
column = "zip"
builtin = "zip\"""",
     "SELECT COUNT(*) FROM patient WHERE zip !~ '^[0-9]{5}(-[0-9]{4})?$'",
     "SELECT COUNT(*) FROM patient WHERE zip NOT REGEXP '^[0-9]{5}(-[0-9]{4})?$'"),
    ("valid_birth_date", True, """kind = "validity"
table = "patient"
key = "id"
column = "birth_date"
builtin = "date_range\"""",
     "SELECT COUNT(*) FROM patient WHERE birth_date < '1900-01-01' OR birth_date > CURRENT_DATE "
     "OR birth_date = '1900-01-01'", None),
    ("mapped_codes", True, """kind = "validity"
table = "patient"
key = "id"
column = "legacy_code"
mapping_table = "code_map"
mapping_column = "legacy_code\"""",
     "SELECT COUNT(*) FROM patient t WHERE NOT EXISTS (SELECT 1 FROM code_map m WHERE m.legacy_code = t.legacy_code)",
     None),
    ("fresh_patients", True, """kind = "freshness"
table = "patient"
column = "updated_at"
max_age = "1d\"""",
     "SELECT MAX(updated_at) FROM patient", None),
    ("valid_npi", False, """kind = "validity"
table = "patient"
key = "id"
column = "npi"
builtin = "npi\"""",
     "SELECT id, npi FROM patient", None),
    ("valid_loinc", False, """kind = "validity"
table = "patient"
key = "id"
column = "loinc"
builtin = "loinc\"""",
     "SELECT id, loinc FROM patient", None),
]
ENGINES = [("pg", "PostgreSQL", PG_URL), ("my", "MariaDB", MY_URL)]


def config():
    out = []
    for prefix, _, url in ENGINES:
        out.append(f'[sources.{prefix}]\nurl = "{url}"\nstatement_timeout = "10m"\n')
    for prefix, _, _ in ENGINES:
        for name, _, body, _, _ in RULES:
            out.append(f'[[integrity]]\nname = "{prefix}_{name}"\nschedule = "0 0 * * * *"\n'
                       f'timeout = "30m"\nfrom = "{prefix}"\nsample_keys = 20\n\n'
                       f'[[integrity.rules]]\nname = "{name}"\n{body}\n')
    return "\n".join(out)


def hypercare(binary, cfg, check, debug=False):
    env = dict(os.environ, RUST_LOG="hypercare=debug" if debug else "error",
               HYPERCARE_LOG_FORMAT="json")
    p = subprocess.run([binary, "check", "-c", cfg, "--json", check], capture_output=True, text=True, env=env)
    run = json.loads(p.stdout)[0]
    statements = []
    for line in p.stderr.splitlines():
        try:
            fields = json.loads(line).get("fields", {})
        except ValueError:
            continue
        if fields.get("message") in ("integrity query", "integrity stream"):
            statements.append((fields["sql"], json.loads(fields.get("binds", "[]"))))
    return run, statements


def literal(engine, value):
    value = value.replace("'", "''")
    if engine == "my":
        value = value.replace("\\", "\\\\")
    return f"'{value}'"


def inline(engine, sql, binds):
    """The statement with its bound values written in, for the client."""
    if engine == "pg":
        for i in range(len(binds), 0, -1):
            sql = sql.replace(f"${i}", literal(engine, binds[i - 1]))
        return sql
    parts = sql.split("?")
    out = parts[0]
    for value, rest in zip(binds, parts[1:]):
        out += literal(engine, value) + rest
    return out


def client_ms(engine, sql):
    """The client's own timing of one statement, in ms."""
    if engine == "pg":
        p = subprocess.run(PG + ["-o", "/dev/null", "-c", "\\timing on", "-c", sql],
                           capture_output=True, text=True)
        m = re.search(r"Time: ([0-9.]+) ms", p.stdout)
        if not m:
            raise RuntimeError(f"psql: {p.stderr}\n{sql}")
        return float(m.group(1))
    # Without --quick the client reads the whole result before it stops its clock.
    p = subprocess.run(MY + ["-vvv", "-e", sql], capture_output=True, text=True)
    m = re.search(r"in set[^(]*\(([0-9.]+) sec\)", p.stdout[-400:])
    if not m:
        raise RuntimeError(f"mariadb: {p.stderr}\n{sql}")
    return float(m.group(1)) * 1000


class Runner:
    """The in-process runner: check names in, one JSON line per run out."""

    def __init__(self, cfg):
        subprocess.run(["cargo", "bench", "--quiet", "--bench", "integrity", "--no-run"], check=True)
        self.p = subprocess.Popen(["cargo", "bench", "--quiet", "--bench", "integrity", "--", cfg],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(self, check):
        self.p.stdin.write(check + "\n")
        self.p.stdin.flush()
        return json.loads(self.p.stdout.readline())

    def close(self):
        self.p.stdin.close()
        self.p.wait()


def check_counts(run, expected, name):
    rule = run["details"]["rules"][0]
    want = expected[name]
    problems = []
    for field in ("rows_checked", "problems", "records_involved"):
        if field in want and rule.get(field) != want[field]:
            problems.append(f"{field} {rule.get(field)} != {want[field]}")
    if name == "fresh_patients" and rule.get("newest", "").replace("T", " ").rstrip("Z") != want["newest"]:
        problems.append(f"newest {rule.get('newest')} != {want['newest']}")
    return problems


def fmt(values):
    med = statistics.median(values)
    d = 1 if med < 100 else 0
    return f"{med:,.{d}f} ({min(values):,.{d}f}–{max(values):,.{d}f})"


def main():
    binary, data = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    expected = json.load(open(os.path.join(data, "expected.json")))
    with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False) as f:
        f.write(config())
        cfg = f.name
    results = []
    runner = Runner(cfg)
    only = [r for r in os.environ.get("HC_BENCH_ONLY", "").split(",") if r]
    engines = [e for e in os.environ.get("HC_BENCH_ENGINES", "pg,my").split(",") if e]
    for prefix, engine_name, _ in ENGINES:
        if prefix not in engines:
            continue
        for name, aggregate, _, count_pg, count_my in RULES:
            if only and name not in only:
                continue
            check = f"{prefix}_{name}"
            run, statements = hypercare(binary, cfg, check, debug=True)
            cold = run["duration_ms"]
            wrong = check_counts(run, expected, name)
            runner.run(check)  # connects this engine's pool; not timed
            floor_sql = [inline(prefix, s, b) for s, b in statements]
            count_sql = count_pg if prefix == "pg" or count_my is None else count_my
            # Warm the caches for the client statements too.
            for s in floor_sql:
                client_ms(prefix, s)
            hc, floor, count = [], [], []
            for _ in range(rounds):
                hc.append(runner.run(check)["ms"])
                floor.append(sum(client_ms(prefix, s) for s in floor_sql))
                count.append(client_ms(prefix, count_sql))
            row = {"engine": engine_name, "rule": name, "kind": run["details"]["rules"][0]["kind"],
                   "aggregate": aggregate, "hypercare_ms": hc, "floor_ms": floor, "count_only_ms": count,
                   "cold_cli_ms": cold,
                   "ratio": statistics.median(hc) / max(statistics.median(floor), 0.5),
                   "statements": floor_sql, "counts_wrong": wrong}
            results.append(row)
            print(f"{engine_name:10} {name:26} hypercare {fmt(hc):>24} ms  floor {fmt(floor):>24} ms  "
                  f"ratio {row['ratio']:.2f}  count-only {fmt(count)} ms  {'COUNTS WRONG: ' + '; '.join(wrong) if wrong else 'counts exact'}",
                  flush=True)
    runner.close()
    json.dump(results, open(os.path.join(data, "results.json"), "w"), indent=1)
    print("\n| engine | rule | kind | hypercare ms | floor ms (same statements in the client) | hypercare / floor "
          "| count-only ms | cold `hypercare check` ms | counts |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        note = "" if r["aggregate"] else " (streamed)"
        print(f"| {r['engine']} | {r['rule']} | {r['kind']}{note} | {fmt(r['hypercare_ms'])} | {fmt(r['floor_ms'])} | "
              f"{r['ratio']:.2f} | {fmt(r['count_only_ms'])} | {r['cold_cli_ms']:,} | "
              f"{'exact' if not r['counts_wrong'] else 'WRONG'} |")
    os.unlink(cfg)
    if any(r["counts_wrong"] for r in results):
        sys.exit(1)


if __name__ == "__main__":
    main()
