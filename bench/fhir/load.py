"""Loads Patients into a FHIR server by transaction bundles and the same
records into a PostgreSQL table (via psql COPY), for bench/fhir/run.sh.

usage: load.py BASE PG_URL FROM TO
Records FROM..TO (1-based, inclusive) are added on both sides: realistic
shape (two given names, an old name on every fifth, telecom, identifiers).
"""
import json
import subprocess
import sys
import urllib.request

MRN = "urn:oid:2.16.840.1.113883.19.5"
FAMILIES = ["Nguyen", "Smith", "Garcia", "O'Brien", "Kowalski", "Okafor", "Lee", "Haddad"]
GIVEN = ["Maria", "James", "Aisha", "Wei", "Olga", "Tomas", "Priya"]


def legacy(i):
    born = "19%02d-%02d-%02d" % (30 + i % 70, 1 + i % 12, 1 + i % 28)
    return str(1_000_000 + i), FAMILIES[i % 8], GIVEN[i % 7], born


def patient(i):
    mrn, family, given, born = legacy(i)
    names = [{"use": "official", "family": family, "given": [given, "Ann"]}]
    if i % 5 == 0:
        names.append({"use": "old", "family": "Maiden", "given": ["Other"]})
    return {"resourceType": "Patient", "active": True, "gender": "female" if i % 2 == 0 else "male",
            "identifier": [{"system": "urn:oid:1.2.3.4.5.99", "value": "ENC%d" % i},
                           {"use": "usual", "system": MRN, "value": mrn}],
            "name": names, "birthDate": born,
            "telecom": [{"system": "phone", "value": "555-01%02d" % (i % 100), "use": "home"}]}


def main():
    base, pg, lo, hi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    for start in range(lo, hi + 1, 1000):
        entry = [{"resource": patient(i), "request": {"method": "POST", "url": "Patient"}}
                 for i in range(start, min(start + 1000, hi + 1))]
        body = json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entry}).encode()
        req = urllib.request.Request(base, data=body, method="POST",
                                     headers={"Content-Type": "application/fhir+json"})
        with urllib.request.urlopen(req, timeout=600) as r:
            r.read()
    rows = "".join("%s\t%s\t%s\t%s\n" % legacy(i) for i in range(lo, hi + 1))
    subprocess.run(["psql", "-q", pg, "-c",
                    "CREATE TABLE IF NOT EXISTS patient_data (pubpid VARCHAR(255) PRIMARY KEY, lname VARCHAR(255), fname VARCHAR(255), dob DATE)"],
                   check=True)
    subprocess.run(["psql", "-q", pg, "-c", "COPY patient_data FROM STDIN"], input=rows.encode(), check=True)


main()
