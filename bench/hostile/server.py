#!/usr/bin/env python3
"""Hostile HTTP server for bench/hostile/run.sh: the first path segment picks
the misbehaviour, on raw sockets so framing can be broken on purpose.

  /ok/...        a small valid answer (FHIR count bundle, token, PDF)
  /huge/...      Content-Length 4 GB, then zeros for as long as the client reads
  /chunked/...   Transfer-Encoding: chunked, 64 KiB chunks without end
  /deep/...      200, JSON nested 2,000,000 levels deep
  /ctype/...     200, text/html instead of JSON or the document's type
  /redirect/...  302 to another host (169.254.169.254, a cloud metadata address)
  /utf8/...      200, JSON holding invalid UTF-8 bytes
  /headers/...   200 with 20,000 response headers of 1 KiB each
Usage: server.py PORT
"""
import socket
import sys
import threading

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def ok_body(path):
    if path.endswith("/token"):
        return b"application/json", b'{"access_token":"t","token_type":"Bearer","expires_in":300}'
    if "/fhir" in path:
        return b"application/fhir+json", b'{"resourceType":"Bundle","type":"searchset","total":1}'
    return b"application/pdf", PDF


def send_all(conn, data):
    try:
        conn.sendall(data)
        return True
    except OSError:
        return False


def handle(conn):
    conn.settimeout(30)
    head = b""
    try:
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = conn.recv(4096)
            if not chunk:
                return
            head += chunk
    except OSError:
        return
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    path = line.split(" ")[1] if " " in line else "/"
    mode = path.strip("/").split("/", 1)[0]
    ctype, body = ok_body(path)
    if mode == "huge":
        send_all(conn, b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nContent-Length: 4294967296\r\n\r\n")
        zeros = b"0" * 65536
        while send_all(conn, zeros):
            pass
    elif mode == "chunked":
        send_all(conn, b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"10000\r\n" + b"[" * 65536 + b"\r\n"
        while send_all(conn, chunk):
            pass
    elif mode == "deep":
        deep = b"[" * 2_000_000 + b"]" * 2_000_000
        send_all(conn, b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nContent-Length: %d\r\n\r\n" % len(deep) + deep)
    elif mode == "ctype":
        page = b"<html><body>Login required</body></html>"
        send_all(conn, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(page) + page)
    elif mode == "redirect":
        send_all(conn, b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\nContent-Length: 0\r\n\r\n")
    elif mode == "utf8":
        bad = b'{"resourceType":"Bundle","type":"searchset","total":1,"id":"\xff\xfe\xc3\x28","access_token":"\xff","expires_in":300}'
        send_all(conn, b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nContent-Length: %d\r\n\r\n" % len(bad) + bad)
    elif mode == "headers":
        send_all(conn, b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\n")
        flood = b"".join(b"X-Flood-%d: %s\r\n" % (i, b"v" * 1024) for i in range(20000))
        send_all(conn, flood + b"Content-Length: %d\r\n\r\n" % len(body) + body)
    else:
        send_all(conn, b"HTTP/1.1 200 OK\r\nContent-Type: " + ctype + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    try:
        conn.close()
    except OSError:
        pass


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", int(sys.argv[1])))
    s.listen(256)
    while True:
        conn, _ = s.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


if __name__ == "__main__":
    main()
