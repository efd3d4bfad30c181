#!/usr/bin/env python3
"""Writes N synthetic registration-desk patients (OpenEMR patient_data
shape) with about 2 % duplicates of the kinds desks make, as CSV with a
header: pid,fname,lname,DOB,sex,phone_home,postal_code,street,truth.

    python3 bench/empi/gen.py ROWS OUT.csv

`truth` is the person id: rows sharing it are one person. Deterministic.
"""
import csv
import random
import sys
from datetime import date, timedelta

ONSETS = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "br",
          "ch", "cl", "dr", "fr", "gr", "kr", "pr", "sh", "st", "tr"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ie", "ou"]
CODAS = ["", "n", "r", "l", "s", "t", "m", "nd", "rt", "ck", "ll", "nn", "ss", "th"]
NICK = {"robert": "bob", "william": "bill", "elizabeth": "liz", "james": "jim", "margaret": "peggy",
        "richard": "dick", "katherine": "kate", "thomas": "tom", "jennifer": "jen", "michael": "mike"}


def word(rng, syllables):
    return "".join(rng.choice(ONSETS) + rng.choice(VOWELS) + rng.choice(CODAS) for _ in range(syllables))


def typo(rng, s):
    if len(s) < 3:
        return s + "e"
    i = rng.randrange(1, len(s) - 1)
    k = rng.randrange(3)
    if k == 0:
        return s[:i] + s[i + 1:]
    if k == 1:
        return s[:i] + s[i + 1] + s[i] + s[i + 2:]
    return s[:i] + rng.choice("aeiourstn") + s[i + 1:]


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(21)
    givens = [word(rng, rng.choice([1, 2, 2, 3])) for _ in range(3000)] + list(NICK)
    families = [word(rng, rng.choice([2, 2, 3])) for _ in range(40000)]
    zips = [f"{rng.randrange(1000, 99999):05d}" for _ in range(8000)]
    streets = [word(rng, 2).title() + rng.choice([" Street", " Avenue", " Road", " Lane"]) for _ in range(20000)]
    start = date(1930, 1, 1)
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["pid", "fname", "lname", "DOB", "sex", "phone_home", "postal_code", "street", "truth"])
        pid = 0
        person = 0
        while pid < n:
            person += 1
            g = rng.choice(givens)
            row = [g.title(), rng.choice(families).title(), start + timedelta(days=rng.randrange(32000)),
                   rng.choice(["Male", "Female"]),
                   f"{rng.randrange(200, 999)}-555-{rng.randrange(10000):04d}", rng.choice(zips),
                   f"{rng.randrange(1, 999)} {rng.choice(streets)}"]
            pid += 1
            w.writerow([pid] + row + [person])
            if rng.random() < 0.02 and pid < n:
                d = list(row)
                kind = rng.randrange(6)
                if kind == 0:
                    d[0] = typo(rng, d[0])
                elif kind == 1:
                    d[1] = typo(rng, d[1])
                elif kind == 2:
                    d[0] = NICK.get(g, typo(rng, g)).title()
                elif kind == 3 and d[2].day <= 12:
                    d[2] = date(d[2].year, d[2].day, d[2].month)
                elif kind == 4:
                    d[5] = ""
                else:
                    d[0], d[1] = d[0].upper(), " " + d[1].lower() + " "
                pid += 1
                w.writerow([pid] + d + [person])


if __name__ == "__main__":
    main()
