#!/usr/bin/env python3
"""Generates the integrity benchmark's data as CSV, from a fixed seed.

    gen.py OUT_DIR [ROWS]

Writes patient.csv (ROWS rows, default 1 000 000), appointment.csv (ROWS rows),
code_map.csv (the legacy-code mapping table) and expected.json: for every
rule of the benchmark config, the rows it must check and the problems it must
find, computed here independently of hypercare from the generated values.
NULL is written as \\N, an empty string as "" (both engines read them so).
"""
import datetime
import json
import os
import random
import re
import sys

SEED = 20261125
NOW = datetime.datetime(2026, 11, 25, 12, 0, 0)
TODAY = datetime.date.today().isoformat()

FIRST = ["Ava", "Liam", "Maya", "Noah", "Iris", "Omar", "Lena", "Ravi", "Zoe", "Theo",
         "Nora", "Ezra", "Mila", "Jude", "Ines", "Kai", "Ada", "Ben", "Cleo", "Dov"]
CLINICS = ["north", "south", "east", "west", "pediatrics"]
LEGACY_CODES = [f"L{n:04d}" for n in range(400)]
ICD = ["E11.9", "I10", "J45.909", "M54.5", "Z00.00", "F41.1", "K21.9", "N39.0", "R51.9", "S72.001A"]
SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "vo", "de", "an", "el", "or"]

# The shapes hypercare's builtins use (see src/checks/integrity/codes.rs).
ZIP = re.compile(r"^[0-9]{5}(-[0-9]{4})?$")
PHONE = re.compile(r"^(\+?1[ .-]?)?(\([2-9][0-9]{2}\)|[2-9][0-9]{2})[ .-]?[2-9][0-9]{2}[ .-]?[0-9]{4}$")
ICD10CM = re.compile(r"^[A-Z][0-9][0-9A-Z](\.?[0-9A-Z]{1,4})?$")


def luhn_digit(digits: str) -> int:
    """The check digit that makes digits + it pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def npi_ok(v):
    return re.fullmatch(r"[0-9]{10}", v) is not None and luhn_digit("80840" + v[:9]) == int(v[9])


def loinc_ok(v):
    m = re.fullmatch(r"([0-9]{1,7})-([0-9])", v)
    return m is not None and luhn_digit(m.group(1)) == int(m.group(2))


def npi(rng, valid):
    body = rng.choice("12") + "".join(str(rng.randrange(10)) for _ in range(8))
    check = luhn_digit("80840" + body)
    return body + str(check if valid else (check + rng.randrange(1, 10)) % 10)


def loinc(rng, valid):
    body = str(rng.randrange(1, 99999))
    check = luhn_digit(body)
    return f"{body}-{check if valid else (check + rng.randrange(1, 10)) % 10}"


def family_name(i):
    n = (i * 7919) % 499979
    parts = []
    for _ in range(5):
        parts.append(SYLLABLES[n % len(SYLLABLES)])
        n //= len(SYLLABLES)
    return "".join(parts).capitalize()


def present(v):
    return v is not None and v.strip() != ""


def patients(rng, rows):
    """Yields patient rows as lists of str-or-None, with problems planted."""
    copies = {}
    for _ in range(rows // 1000):
        src, size = rng.randrange(1, rows // 2), (3 if rng.random() < 0.05 else 2)
        for _ in range(size - 1):
            copies.setdefault(rng.randrange(rows // 2, rows), src)
    people = {}
    for pid in range(1, rows + 1):
        fam, giv = family_name(pid), FIRST[pid % len(FIRST)]
        dob = (datetime.date(1935, 1, 1) + datetime.timedelta(days=(pid * 104729) % 32000)).isoformat()
        if pid in copies:
            fam, giv, dob = people[copies[pid]]
            fam = " " + fam.upper() + " "  # normalisation must still match
        people[pid] = (fam.strip().capitalize(), giv, dob)
        r = rng.random()
        if r < 0.001:
            dob = "2031-05-01"
        elif r < 0.002:
            dob = "1900-01-01"
        elif r < 0.007:
            dob = None
        if rng.random() < 0.01:
            giv = rng.choice(["", "  ", None])
        zip_ = f"{rng.randrange(1000, 99999):05d}"
        if rng.random() < 0.003:
            zip_ = rng.choice(["1234", "ABCDE", "123456", "12345-12"])
        phone = f"({rng.randrange(200, 999)}) {rng.randrange(200, 999)}-{rng.randrange(0, 9999):04d}"
        if rng.random() < 0.005:
            phone = rng.choice(["555-1234", "(012) 555-1234", "12345678901234", "n/a", None])
        npi_ = npi(rng, rng.random() >= 0.002)
        loinc_ = loinc(rng, rng.random() >= 0.002)
        icd = rng.choice(ICD)
        if rng.random() < 0.002:
            icd = rng.choice(["E11,9", "1234", "e11.9", "E11.12345", "E1"])
        code = rng.choice(LEGACY_CODES)
        if rng.random() < 0.002:
            code = f"X{rng.randrange(20):04d}"
        updated = NOW - datetime.timedelta(hours=2, seconds=rng.randrange(0, 86400 * 365))
        yield [str(pid), str(10_000_000 + pid * 7), fam, giv, dob, rng.choice("FM"), zip_, phone,
               npi_, loinc_, icd, code, CLINICS[pid % 5], f"{updated:%Y-%m-%d %H:%M:%S}"]


def csv_cell(v):
    if v is None:
        return "\\N"
    return '"' + v.replace('"', '""') + '"'


class Tally:
    """Counts, per rule, the rows checked and the problems, as hypercare must."""

    def __init__(self):
        self.rules = {}
        self.groups = {}

    def add(self, rule, checked, bad):
        r = self.rules.setdefault(rule, {"rows_checked": 0, "problems": 0})
        r["rows_checked"] += int(checked)
        r["problems"] += int(checked and bad)

    def patient(self, row):
        _, _, fam, giv, dob, _, zip_, phone, npi_, loinc_, icd, code, _, updated = row
        if present(fam) and present(giv) and dob is not None:
            k = (fam.strip().lower(), giv.strip()[:1].lower(), dob)
            self.groups[k] = self.groups.get(k, 0) + 1
        missing = [not present(fam), not present(giv), dob is None]
        self.add("complete_patients", True, any(missing))
        for field, m in zip(["family", "given", "birth_date"], missing):
            self.add(f"complete_patients.{field}", True, m)
        for rule, v, ok in [("valid_zip", zip_, ZIP.match), ("valid_phone", phone, PHONE.match),
                            ("valid_icd10", icd, ICD10CM.match), ("valid_npi", npi_, npi_ok),
                            ("valid_loinc", loinc_, loinc_ok),
                            ("mapped_codes", code, lambda c: c in LEGACY_CODES)]:
            if present(v):
                self.add(rule, True, not ok(v))
        if dob is not None:
            self.add("valid_birth_date", True,
                     dob < "1900-01-01" or dob > TODAY or dob == "1900-01-01")
        newest = self.rules.setdefault("fresh_patients", {"newest": ""})
        newest["newest"] = max(newest["newest"], updated)

    def finish(self):
        clusters = [c for c in self.groups.values() if c > 1]
        self.rules["dup_patients"] = {"rows_checked": sum(self.groups.values()),
                                      "problems": len(clusters), "records_involved": sum(clusters)}
        return self.rules


def main():
    out = sys.argv[1]
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    os.makedirs(out, exist_ok=True)
    rng = random.Random(SEED)
    tally = Tally()
    with open(os.path.join(out, "patient.csv"), "w") as f:
        for row in patients(rng, rows):
            tally.patient(row)
            f.write(",".join(csv_cell(v) for v in row) + "\n")
    with open(os.path.join(out, "appointment.csv"), "w") as f:
        for aid in range(1, rows + 1):
            pid = rng.randrange(1, rows + 1)
            if rng.random() < 0.002:
                pid = rows + rng.randrange(1, 1000)
            for rule in ["orphan_appointments", "orphan_appointments_text"]:
                tally.add(rule, True, pid > rows)
            start = NOW - datetime.timedelta(minutes=rng.randrange(0, 525600))
            f.write(f'{aid},{pid},"{pid}",{start:%Y-%m-%d %H:%M:%S}\n')
    with open(os.path.join(out, "code_map.csv"), "w") as f:
        for i, c in enumerate(LEGACY_CODES):
            f.write(f'"{c}","T{i:05d}"\n')
    expected = tally.finish()
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
    print(json.dumps({k: v.get("problems", v.get("newest")) for k, v in sorted(expected.items())}))


if __name__ == "__main__":
    main()
