"""The server's own paging rate: reads the same search hypercare sends
(`_elements`, `_count=500`) following `next` links, over one keep-alive
connection, parsing each page as JSON (to find the link), and prints the
resources read and the seconds. usage: page.py BASE [COUNT] (default 500,
hypercare's own page size)"""
import http.client
import json
import sys
import time
import urllib.parse

base = urllib.parse.urlparse(sys.argv[1])
conn = http.client.HTTPConnection(base.hostname, base.port, timeout=600)
count = int(sys.argv[2]) if len(sys.argv) > 2 else 500
path = base.path + "/Patient?_elements=identifier%2Cname%2CbirthDate&_count=" + str(count)
n, t = 0, time.monotonic()
while path:
    conn.request("GET", path, headers={"Accept": "application/fhir+json"})
    page = json.loads(conn.getresponse().read())
    n += len(page.get("entry", []))
    nxt = [l["url"] for l in page.get("link", []) if l.get("relation") == "next"]
    path = None
    if nxt:
        u = urllib.parse.urlparse(nxt[0])
        path = u.path + ("?" + u.query if u.query else "")
print("%d %.2f" % (n, time.monotonic() - t))
