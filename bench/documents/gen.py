#!/usr/bin/env python3
"""Benchmark data for bench/documents/run.sh.

- www/f/0.pdf … www/f/999.pdf: small PDFs that nginx serves;
- head.db: an inventory of DOCS documents pointing at them (relative urls);
- content/*.pdf: CONTENT_MB of PDFs of FILE_MB each (random bytes between a
  PDF header and its %%EOF), content.db: their inventory with SHA-256 hex.

Fixed seed, so every run checks the same bytes.
"""
import hashlib
import os
import random
import sqlite3
import sys

work, docs, content_mb, file_mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(20261126)

www = os.path.join(work, "www", "f")
os.makedirs(www, exist_ok=True)
sizes = []
for i in range(1000):
    body = b"%PDF-1.4\n" + bytes(rng.getrandbits(8) for _ in range(900 + i % 200)) + b"\n%%EOF\n"
    with open(os.path.join(www, f"{i}.pdf"), "wb") as f:
        f.write(body)
    sizes.append(len(body))

db = sqlite3.connect(os.path.join(work, "head.db"))
db.execute("CREATE TABLE docs (id TEXT, kind TEXT, location TEXT, content_type TEXT, size INTEGER, patient TEXT, date TEXT)")
db.executemany(
    "INSERT INTO docs VALUES (?, 'lab_report', ?, 'application/pdf', ?, 'p', '2024-01-01')",
    ((f"doc-{n:06d}", f"f/{n % 1000}.pdf", sizes[n % 1000]) for n in range(docs)),
)
db.commit()
db.close()

content = os.path.join(work, "content")
os.makedirs(content, exist_ok=True)
db = sqlite3.connect(os.path.join(work, "content.db"))
db.execute("CREATE TABLE docs (id TEXT, kind TEXT, location TEXT, content_type TEXT, size INTEGER, hash TEXT, hash_algorithm TEXT, patient TEXT, date TEXT)")
files = max(1, content_mb // file_mb)
chunk = rng.randbytes(1 << 20)
for n in range(files):
    path = os.path.join(content, f"{n:04d}.pdf")
    h = hashlib.sha256()
    size = 0
    with open(path, "wb") as f:
        for part in [b"%PDF-1.7\n"] + [bytes([n % 251]) + chunk[1:] for _ in range(file_mb)] + [b"\n%%EOF\n"]:
            f.write(part)
            h.update(part)
            size += len(part)
    db.execute(
        "INSERT INTO docs VALUES (?, 'scanned_record', ?, 'application/pdf', ?, ?, 'sha256', 'p', '2024-01-01')",
        (f"scan-{n:04d}", f"{n:04d}.pdf", size, h.hexdigest()),
    )
db.commit()
db.close()
print(f"generated {docs} inventory rows over 1000 small files, and {files} files of {file_mb} MB")
