#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A small GCS JSON API server that injects faults, for t_gcs_faults.sh.

Serves objects in memory (metadata, listing (one page), ranged media downloads, media and
multipart and chunked resumable uploads, ifGenerationMatch). Each request
takes the next fault from a queue the test sets:
  POST /_faults  ["503", "reset:1000", ...]   replace the queue
  GET  /_log                                   requests seen (method, path, range)
  POST /_delay   0.3                           every media answer waits that long
  GET  /_stats   {"max_inflight": N}           most media downloads at once
                                               (since the last /_faults)
Faults: an HTTP status ("500", "503", "429", "404", "403", "401", "412"),
"reset:N" (send N body bytes, then close the connection; a TCP reset
for N = 0: with data in flight a reset may discard it), "stall:S" (send half the
body, then nothing for S seconds), "wrongrange" (a 206 for another
range), "full200" (ignore Range, send the whole object), "gen" (another
generation answers), "badjson" (metadata that is not JSON),
"commit503" (store an upload, then answer 503), "commitreset" (store an
upload chunk, then reset before answering), "ok".
Prints its port on stdout.
"""
import json
import socket
import struct
import sys
import threading
import time
import urllib.parse
from base64 import b64encode
from hashlib import md5
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
FAULTS = []
LOG = []
DELAY = [0.0]
INFLIGHT = [0, 0]  # media downloads running, the most at once
OBJECTS = {}  # (bucket, name) -> {"data": bytes, "generation": int}
SESSIONS = {}  # id -> {"bucket", "name", "data": bytearray, "total", "ifgen"}
NEXT_GEN = [1000]

_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return (c ^ 0xFFFFFFFF).to_bytes(4, "big")


def resource(bucket, name, obj):
    d = obj["data"]
    if obj.get("sums", (None, None))[0] is not d:  # computed once per body
        obj["sums"] = (d, b64encode(md5(d).digest()).decode(),
                       b64encode(crc32c(d)).decode())
    return {"kind": "storage#object", "bucket": bucket, "name": name,
            "size": str(len(d)), "generation": str(obj["generation"]),
            "updated": "2020-09-03T12:00:00.000Z",
            "md5Hash": obj["sums"][1], "crc32c": obj["sums"][2]}


def split_object_path(path, prefix):
    rest = path[len(prefix):]
    bucket, _, name = rest.partition("/o/")
    return urllib.parse.unquote(bucket), urllib.parse.unquote(name)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def reset(self):
        self.wfile.flush()
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def take_fault(self):
        url = urllib.parse.urlsplit(self.path)
        with LOCK:
            if url.path.startswith("/_"):
                return url, "ok"
            LOG.append({"method": self.command, "path": url.path,
                        "query": url.query,
                        "range": self.headers.get("Range", ""),
                        "content_range": self.headers.get("Content-Range", "")})
            return url, FAULTS.pop(0) if FAULTS else "ok"

    def status_fault(self, fault):
        if fault.isdigit():
            self.reply(int(fault), {"error": {"code": int(fault),
                                              "message": "injected"}})
            return True
        return False

    def do_GET(self):
        url, fault = self.take_fault()
        if url.path == "/_log":
            with LOCK:
                return self.reply(200, LOG)
        if url.path == "/_stats":
            with LOCK:
                return self.reply(200, {"max_inflight": INFLIGHT[1]})
        if self.status_fault(fault):
            return
        q = urllib.parse.parse_qs(url.query)
        if url.path.startswith("/download/storage/v1/b/"):
            with LOCK:
                INFLIGHT[0] += 1
                INFLIGHT[1] = max(INFLIGHT)
            try:
                time.sleep(DELAY[0])
                return self.media(url, q, fault)
            finally:
                with LOCK:
                    INFLIGHT[0] -= 1
        if url.path.startswith("/storage/v1/b/") and url.path.endswith("/o"):
            bucket = urllib.parse.unquote(url.path.split("/")[4])
            prefix = q.get("prefix", [""])[0]
            with LOCK:
                items = [resource(b, n, o) for (b, n), o in
                         sorted(OBJECTS.items())
                         if b == bucket and n.startswith(prefix)]
            return self.reply(200, {"kind": "storage#objects",
                                    "items": items})
        if url.path.startswith("/storage/v1/b/") and "/o/" in url.path:
            key = split_object_path(url.path, "/storage/v1/b/")
            obj = OBJECTS.get(key)
            if not obj:
                return self.reply(404, {"error": {"code": 404}})
            if fault == "badjson":
                return self.reply(200, b'{"size": "12", "generation": ')
            return self.reply(200, resource(key[0], key[1], obj))
        self.reply(404, b"not found")

    def media(self, url, q, fault):
        key = split_object_path(url.path, "/download/storage/v1/b/")
        obj = OBJECTS.get(key)
        if not obj or ("generation" in q and
                       int(q["generation"][0]) != obj["generation"]):
            return self.reply(404, b"No such object")
        data, gen = obj["data"], obj["generation"]
        if fault == "gen":
            gen += 1
        hdrs = {"x-goog-generation": str(gen)}
        rng = self.headers.get("Range", "")
        if not rng or fault == "full200":
            start, end, status = 0, len(data) - 1, 200
        else:
            a, _, b = rng[len("bytes="):].partition("-")
            start, end = int(a), min(int(b), len(data) - 1)
            if start >= len(data):
                return self.reply(416, b"", {"Content-Range":
                                             "bytes */%d" % len(data)})
            status = 206
            shown = start + 1 if fault == "wrongrange" else start
            hdrs["Content-Range"] = "bytes %d-%d/%d" % (shown, end, len(data))
        part = data[start:end + 1]
        if fault.startswith("reset:") or fault.startswith("stall:"):
            n = int(fault[6:]) if fault.startswith("reset:") else len(part) // 2
            self.send_response(status)
            for k, v in hdrs.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(part)))
            self.end_headers()
            self.wfile.write(part[:n])
            self.wfile.flush()
            if fault.startswith("stall:"):
                time.sleep(float(fault[6:]))
            if n == 0:
                return self.reset()
            self.connection.shutdown(socket.SHUT_RDWR)
            self.close_connection = True
            return
        self.reply(status, part, hdrs)

    def do_DELETE(self):
        url, fault = self.take_fault()
        if self.status_fault(fault):
            return
        key = split_object_path(url.path, "/storage/v1/b/")
        with LOCK:
            found = OBJECTS.pop(key, None)
        self.reply(204 if found else 404)

    def do_POST(self):
        url, fault = self.take_fault()
        data = self.body()
        if url.path == "/_faults":
            with LOCK:
                FAULTS[:] = json.loads(data)
                LOG.clear()
                INFLIGHT[1] = 0
            return self.reply(200, b"{}")
        if url.path == "/_delay":
            with LOCK:
                DELAY[0] = float(data)
            return self.reply(200, b"{}")
        if url.path == "/_object":  # test setup: /_object?b=B&n=N
            q = urllib.parse.parse_qs(url.query)
            with LOCK:
                NEXT_GEN[0] += 1
                OBJECTS[(q["b"][0], q["n"][0])] = {"data": data,
                                                   "generation": NEXT_GEN[0]}
            return self.reply(200, {"generation": str(NEXT_GEN[0])})
        if self.status_fault(fault):
            return
        q = urllib.parse.parse_qs(url.query)
        bucket = urllib.parse.unquote(url.path.split("/")[5])
        ifgen = int(q["ifGenerationMatch"][0]) if "ifGenerationMatch" in q else None
        kind = q["uploadType"][0]
        if kind == "resumable":
            meta = json.loads(data)
            sid = "s%d" % (len(SESSIONS) + 1)
            SESSIONS[sid] = {"bucket": bucket, "name": meta["name"],
                             "data": bytearray(), "ifgen": ifgen}
            host = self.headers["Host"]
            return self.reply(200, b"", {"Location": "http://%s/upload/storage/v1/b/%s/o?uploadType=resumable&upload_id=%s" % (host, bucket, sid)})
        if kind == "multipart":
            boundary = self.headers["Content-Type"].split("boundary=")[1]
            parts = data.split(b"--" + boundary.encode())
            meta = json.loads(parts[1].split(b"\r\n\r\n", 1)[1].rstrip(b"\r\n"))
            content = parts[2].split(b"\r\n\r\n", 1)[1][:-2]
            name = meta["name"]
            if meta.get("md5Hash") and meta["md5Hash"] != b64encode(md5(content).digest()).decode():
                return self.reply(400, {"error": {"message": "md5 mismatch"}})
        else:
            name, content = q["name"][0], data
        self.store(bucket, name, content, ifgen, fault)

    def store(self, bucket, name, content, ifgen, fault):
        with LOCK:
            cur = OBJECTS.get((bucket, name))
            if ifgen is not None and (cur["generation"] if cur else 0) != ifgen:
                return self.reply(412, {"error": {"code": 412}})
            NEXT_GEN[0] += 1
            obj = {"data": bytes(content), "generation": NEXT_GEN[0]}
            OBJECTS[(bucket, name)] = obj
        if fault == "commit503":
            return self.reply(503, {"error": {"code": 503}})
        self.reply(200, resource(bucket, name, obj))

    def do_PUT(self):
        url, fault = self.take_fault()
        data = self.body()
        if self.status_fault(fault):
            return
        q = urllib.parse.parse_qs(url.query)
        s = SESSIONS.get(q.get("upload_id", [""])[0])
        if not s:
            return self.reply(404, b"no session")
        cr = self.headers.get("Content-Range", "")[len("bytes "):]
        rng, _, total = cr.partition("/")
        if rng != "*":
            a, _, b = rng.partition("-")
            if int(a) != len(s["data"]) or int(b) - int(a) + 1 != len(data):
                return self.reply(400, b"chunk out of order")
            s["data"] += data
        if fault == "commitreset":
            return self.reset()
        if total != "*" and len(s["data"]) == int(total):
            return self.store(s["bucket"], s["name"], s["data"], s["ifgen"], fault)
        hdrs = {"Range": "bytes=0-%d" % (len(s["data"]) - 1)} if s["data"] else {}
        self.reply(308, b"", hdrs)


def main():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
