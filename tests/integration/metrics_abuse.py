#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# A hostile client of lybfs's metrics endpoint (metrics_listen), for
# t_metrics_http.sh. Each mode attacks 127.0.0.1:PORT and checks what the
# daemon did about it; exit 1 with a reason when it did not.
#
#   idle PORT N SECONDS   N connections that send nothing: the server
#                         closes them after its idle timeout (5 s), 16 at
#                         a time, and answers none
#   slow PORT N SECONDS   N connections that send a request a byte every
#                         0.5 s (slowloris): the server cuts them off at
#                         its deadline (10 s from accept), not later, and
#                         answers none
#   flood PORT N SECONDS  N connections at once, held: prints how many the
#                         kernel accepted (the daemon's descriptors are
#                         checked by the caller meanwhile)
#   big PORT              a 20 KiB header (431), a 20 KiB URL (414), a
#                         POST with a 1 MiB body (405, the body not read)
import socket
import sys
import time

IDLE = 5.0
DEADLINE = 10.0
CONN_MAX = 16


def fail(msg):
    print("metrics_abuse: FAIL: " + msg)
    sys.exit(1)


def open_many(port, n):
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", port))
        socks.append(s)
    return socks


def watch(socks, seconds, trickle):
    """Watches @socks; returns {index: seconds when the server closed it}
    and how many bytes the server sent."""
    import select

    t0 = time.monotonic()
    closed, got, sent_at = {}, 0, None
    first = {}
    while time.monotonic() - t0 < seconds and len(closed) < len(socks):
        now = time.monotonic()
        if trickle and (sent_at is None or now - sent_at >= 0.5):
            sent_at = now
            for i, s in enumerate(socks):
                if i in closed:
                    continue
                msg = b"a" if i in first else b"GET /metrics HTTP/1.1\r\nX-Slow: "
                try:
                    s.send(msg)
                    first[i] = True
                except BlockingIOError:
                    pass
                except OSError:
                    closed[i] = now - t0
        live = [s for i, s in enumerate(socks) if i not in closed]
        r, _, _ = select.select(live, [], [], 0.1)
        for s in r:
            i = socks.index(s)
            try:
                d = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                d = b""
            if d:
                got += len(d)
            else:
                closed[i] = time.monotonic() - t0
    return closed, got


def mode_idle(port, n, seconds):
    socks = open_many(port, n)
    closed, got = watch(socks, seconds, False)
    times = sorted(closed.values())
    print("idle: %d of %d closed by the server, at %s s" %
          (len(times), n, [round(t, 1) for t in times]))
    if got:
        fail("the server answered a client that sent nothing")
    if len(times) < CONN_MAX:
        fail("fewer than %d idle connections were closed" % CONN_MAX)
    if times[0] < IDLE - 1:
        fail("an idle connection closed at %.1f s, before the idle timeout" % times[0])
    if times[CONN_MAX - 1] > IDLE + 4:
        fail("the first %d idle connections were not closed by %.0f s" %
             (CONN_MAX, IDLE + 4))


def mode_slow(port, n, seconds):
    socks = open_many(port, n)
    closed, got = watch(socks, seconds, True)
    times = sorted(closed.values())
    print("slow: %d of %d cut off by the server, at %s s" %
          (len(times), n, [round(t, 1) for t in times]))
    if got:
        fail("the server answered an unfinished request")
    if len(times) < n:
        fail("%d slow connections were still open after %.0f s" %
             (n - len(times), seconds))
    if times[0] < DEADLINE - 1:
        fail("a slow connection was cut at %.1f s, before the deadline" % times[0])
    if times[-1] > DEADLINE + 3:
        fail("a slow connection lived %.1f s, past the deadline" % times[-1])


def mode_flood(port, n, seconds):
    socks = open_many(port, n)
    print("flood: %d connections opened, held %.0f s" % (n, seconds), flush=True)
    time.sleep(seconds)
    for s in socks:
        s.close()


def exchange(port, data, limit=65536):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(data)
    except OSError:
        pass  # the server may close before all is sent
    out = b""
    try:
        while len(out) < limit:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except OSError:
        pass
    s.close()
    return out


def mode_big(port):
    big = b"a" * 20000
    r = exchange(port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + big + b"\r\n\r\n")
    print("big header: %r" % r[:40])
    if not r.startswith(b"HTTP/1.1 431"):
        fail("a 20 KiB header was not answered 431")
    r = exchange(port, b"GET /" + big + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    print("big url: %r" % r[:40])
    if not r.startswith(b"HTTP/1.1 414"):
        fail("a 20 KiB URL was not answered 414")
    t0 = time.monotonic()
    r = exchange(port, b"POST /metrics HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Length: 1048576\r\n\r\n" + b"b" * 4096)
    print("post: %r in %.1f s" % (r[:40], time.monotonic() - t0))
    if not r.startswith(b"HTTP/1.1 405"):
        fail("a POST with a body was not answered 405")
    if b"Allow: GET, HEAD" not in r:
        fail("the 405 does not say Allow: GET, HEAD")


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "big":
        mode_big(port)
        return
    n, seconds = int(sys.argv[3]), float(sys.argv[4])
    {"idle": mode_idle, "slow": mode_slow, "flood": mode_flood}[mode](port, n, seconds)


main()
