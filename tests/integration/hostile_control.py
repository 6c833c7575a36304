#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Hostile clients of lybfs's control socket (t_hostile_control.sh).

  hostile_control.py bad SOCK DATASET        one connection per bad line
  hostile_control.py slow SOCK N INTERVAL    N clients, a byte per INTERVAL s
  hostile_control.py idle SOCK N HOLD        N clients that send nothing
  hostile_control.py send SOCK HEX           one raw request, prints reply

Each prints one line per client: its result and the seconds it took, and
exits non-zero when a client got no error reply (a crash or an "ok").
"""
import socket
import sys
import threading
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(15)
    s.connect(path)
    return s


def read_reply(s):
    data = b""
    try:
        while b"\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    except (socket.timeout, ConnectionResetError):
        pass
    return data


def bad_lines(ds):
    d = ds.encode()
    lines = [
        ("nul-bare", b"x\x00\n"),
        ("nul-arg", b"request\t" + d + b"\tx\x00y\n"),
        ("nul-verb", b"req\x00uest\t" + d + b"\tx\n"),
        ("empty", b"\n"),
        ("cr", b"request\t" + d + b"\tx\r\n"),
        ("tab-in-arg", b"request\t" + d + b"\ta\tb\n"),
        ("c1-csi", b"request\t" + d + b"\t\xc2\x9b31m\n"),
        ("utf8-ff-fe", b"\xff\xfe\n"),
        ("utf8-overlong", b"request\t" + d + b"\t\xc0\xaf\n"),
        ("utf8-surrogate", b"request\t" + d + b"\t\xed\xa0\x80\n"),
        ("utf8-too-big", b"request\t" + d + b"\t\xf4\x90\x80\x80\n"),
        ("utf8-cut", b"request\t" + d + b"\tcaf\xc3\n"),
        ("utf8-latin1", b"request\t" + d + b"\tcaf\xe9\n"),
        ("long-100k", b"request\t" + d + b"\t" + b"A" * 100000 + b"\n"),
        ("long-8191", b"A" * 8191),
        ("no-newline-eof", b"request\t" + d),
    ]
    for c in list(range(1, 0x20)) + [0x7F]:
        if c in (0x09, 0x0A):
            continue
        lines.append(("c0-%02x" % c, b"request\t" + d + b"\tr" + bytes([c]) + b"\n"))
    return [(n, b) for n, b in lines if b is not None]


def one_bad(path, name, line):
    t0 = time.monotonic()
    s = connect(path)
    try:
        s.sendall(line)
    except (BrokenPipeError, ConnectionResetError):
        pass  # refused before we finished: the reply is still there
    try:
        s.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    reply = read_reply(s)
    s.close()
    return reply, time.monotonic() - t0


def cmd_bad(path, ds):
    bad = 0
    for name, line in bad_lines(ds):
        reply, dt = one_bad(path, name, line)
        ok = reply.startswith(b"error\t") and reply.endswith(b"\n")
        bad += not ok
        print("%-16s %5.2fs %s %r" % (name, dt, "refused" if ok else "WRONG", reply[:120]))
    print("bad-lines %d wrong %d" % (len(bad_lines(ds)), bad))
    return 1 if bad else 0


def cmd_slow(path, n, interval):
    results = [None] * n

    def client(i):
        t0 = time.monotonic()
        s = connect(path)
        reply = b""
        try:
            for b in b"request\tt.Hc\tslowly, one byte at a time\n":
                s.sendall(bytes([b]))
                s.settimeout(interval)
                try:
                    chunk = s.recv(4096)
                    if chunk:
                        reply = chunk + read_reply(s)
                    break  # a reply, or closed
                except socket.timeout:
                    continue
        except (BrokenPipeError, ConnectionResetError):
            reply = read_reply(s)
        results[i] = (reply, time.monotonic() - t0)
        s.close()

    ts = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wrong = 0
    for i, (reply, dt) in enumerate(results):
        ok = reply.startswith(b"error\t")
        wrong += not ok
        print("slow-%d %5.2fs %s %r" % (i, dt, "dropped" if ok else "WRONG", reply[:100]))
    print("slow %d wrong %d max %.2f" % (n, wrong, max(r[1] for r in results)))
    return 1 if wrong else 0


def cmd_idle(path, n, hold):
    socks = []
    t0 = time.monotonic()
    for _ in range(n):
        socks.append(connect(path))
    busy = dropped = other = 0
    deadline = t0 + hold
    for s in socks:
        s.settimeout(max(0.1, deadline - time.monotonic()))
        reply = read_reply(s)
        dt = time.monotonic() - t0
        if b"too many connections" in reply:
            busy += 1
        elif b"not complete within" in reply:
            dropped += 1
        else:
            other += 1
            print("idle: unexpected %r after %.2fs" % (reply[:100], dt))
    for s in socks:
        s.close()
    print("idle %d refused %d dropped %d other %d %.2fs" % (n, busy, dropped, other, time.monotonic() - t0))
    return 1 if other else 0


def cmd_send(path, hexline):
    s = connect(path)
    s.sendall(bytes.fromhex(hexline))
    sys.stdout.write(read_reply(s).decode("utf-8", "backslashreplace"))
    return 0


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "bad":
        return cmd_bad(path, sys.argv[3])
    if mode == "slow":
        return cmd_slow(path, int(sys.argv[3]), float(sys.argv[4]))
    if mode == "idle":
        return cmd_idle(path, int(sys.argv[3]), float(sys.argv[4]))
    if mode == "send":
        return cmd_send(path, sys.argv[3])
    raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    sys.exit(main())
