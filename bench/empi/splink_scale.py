#!/usr/bin/env python3
"""Splink 5.0.0 on DuckDB over the scale benchmark's CSV: trains as its
FEBRL example does (prior from deterministic rules, u by random sampling,
m by EM on two blocking rules) and prints its peak RSS as JSON, then
`pid_l<TAB>pid_r` per pair at p >= 0.5."""
import json
import resource
import sys

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

df = pd.read_csv(sys.argv[1], dtype=str, keep_default_na=False).drop(columns=["truth"])
df = df.replace({"": None})
for c in ["fname", "lname", "street"]:
    df[c] = df[c].str.strip().str.lower()
df["initial"] = df["fname"].str[:1]
settings = SettingsCreator(
    unique_id_column_name="pid",
    link_type="dedupe_only",
    blocking_rules_to_generate_predictions=[
        block_on("DOB"), block_on("phone_home"), block_on("postal_code", "initial"), block_on("fname", "lname"),
    ],
    comparisons=[
        cl.NameComparison("fname"),
        cl.NameComparison("lname"),
        cl.DateOfBirthComparison("DOB", input_is_string=True),
        cl.ExactMatch("sex"),
        cl.ExactMatch("phone_home"),
        cl.ExactMatch("postal_code").configure(term_frequency_adjustments=True),
        cl.LevenshteinAtThresholds("street", [2]),
    ],
)
linker = Linker(DuckDBAPI().register(df), settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("fname", "lname", "DOB")], recall=0.9
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("DOB"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("postal_code"))
pred = linker.inference.predict(threshold_match_probability=0.5).as_pandas_dataframe()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"peak_rss_mb": round(peak, 1)}))
for a, b in zip(pred["pid_l"], pred["pid_r"]):
    print(f"{a}\t{b}")
