#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A local OAuth2 token endpoint, GCE metadata server and token-checking
GCS server in one, for tests/prog/gcs_auth.c (run by t_gcs_auth.sh).

  gcs_token_server.py PUBKEY.pem TTL_SECONDS

Prints its port on stdout. Serves:
  POST /token     grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer:
                  the RS256 JWT's signature is verified with PUBKEY.pem
                  (`openssl dgst -verify`), its claims checked (iss, aud =
                  this URL, scope, iat/exp); grant_type=refresh_token: the
                  client id, secret and refresh token checked.
  GET  /computeMetadata/v1/instance/service-accounts/default/token
                  only with "Metadata-Flavor: Google".
  GET  /storage/v1/b/B/o/O  object metadata, only with a live bearer token
                  issued here (401 otherwise).
  GET  /_stats    {"issued": {kind: n}, "rejected": n, "bad_jwt": n}
Every token lives TTL_SECONDS.
"""
import base64
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PUBKEY = sys.argv[1]
TTL = int(sys.argv[2])
SA_EMAIL = "lyb-test@lyb-test.iam.gserviceaccount.com"
SCOPE = "https://www.googleapis.com/auth/devstorage.read_write"
USER = {"client_id": "cid.apps.googleusercontent.com",
        "client_secret": "s3cret", "refresh_token": "1//refresh"}

lock = threading.Lock()
tokens = {}  # token -> expiry (monotonic)
stats = {"issued": {}, "rejected": 0, "bad_jwt": 0, "seen_tokens_in_log": 0}
port = 0


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def verify_jwt(jwt):
    """Returns None when good, else what was wrong."""
    parts = jwt.split(".")
    if len(parts) != 3:
        return "not three parts"
    hdr = json.loads(b64url_decode(parts[0]))
    claims = json.loads(b64url_decode(parts[1]))
    if hdr.get("alg") != "RS256":
        return "alg is not RS256"
    with tempfile.NamedTemporaryFile() as sig, \
            tempfile.NamedTemporaryFile() as data:
        sig.write(b64url_decode(parts[2]))
        sig.flush()
        data.write((parts[0] + "." + parts[1]).encode())
        data.flush()
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", PUBKEY,
                            "-signature", sig.name, data.name],
                           capture_output=True)
        if r.returncode != 0:
            return "signature does not verify"
    now = time.time()
    if claims.get("iss") != SA_EMAIL:
        return "wrong iss"
    if claims.get("aud") != "http://127.0.0.1:%d/token" % port:
        return "wrong aud %r" % claims.get("aud")
    if claims.get("scope") != SCOPE:
        return "wrong scope"
    iat, exp = claims.get("iat", 0), claims.get("exp", 0)
    if abs(iat - now) > 60 or exp - iat > 3600 or exp <= now:
        return "bad iat/exp"
    return None


def issue(kind):
    with lock:
        n = stats["issued"].get(kind, 0) + 1
        stats["issued"][kind] = n
        tok = "ya29.%s-%d-%d" % (kind, n, int(time.time() * 1000))
        tokens[tok] = time.monotonic() + TTL
    return {"access_token": tok, "expires_in": TTL, "token_type": "Bearer"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        if self.path != "/token":
            return self.answer(404, {"error": "not_found"})
        grant = form.get("grant_type", [""])[0]
        if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            why = verify_jwt(form.get("assertion", [""])[0])
            if why:
                with lock:
                    stats["bad_jwt"] += 1
                return self.answer(400, {"error": "invalid_grant",
                                         "error_description": why})
            return self.answer(200, issue("service_account"))
        if grant == "refresh_token":
            if any(form.get(k, [""])[0] != v for k, v in USER.items()):
                return self.answer(400, {"error": "invalid_grant"})
            return self.answer(200, issue("authorized_user"))
        return self.answer(400, {"error": "unsupported_grant_type"})

    def do_GET(self):
        path = urllib.parse.urlsplit(self.path).path
        if path == "/_stats":
            with lock:
                return self.answer(200, stats)
        if path == ("/computeMetadata/v1/instance/service-accounts/"
                    "default/token"):
            if self.headers.get("Metadata-Flavor") != "Google":
                return self.answer(403, {"error": "missing flavor"})
            return self.answer(200, issue("metadata"))
        if path.startswith("/storage/v1/b/"):
            auth = self.headers.get("Authorization", "")
            tok = auth[len("Bearer "):] if auth.startswith("Bearer ") else ""
            with lock:
                live = tokens.get(tok, 0) > time.monotonic()
                if not live:
                    stats["rejected"] += 1
            if not live:
                return self.answer(401, {"error": {"code": 401,
                                                   "message": "bad token"}})
            parts = path.split("/")
            bucket, name = parts[4], urllib.parse.unquote(parts[6])
            return self.answer(200, {
                "kind": "storage#object", "bucket": bucket, "name": name,
                "size": "5", "generation": "1700000000000001",
                "md5Hash": "XUFAKrxLKna5cZ2REBfFkg==",
                "crc32c": "mnG7TA=="})
        return self.answer(404, {"error": "not_found"})


def main():
    global port
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = srv.server_address[1]
    print(port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
