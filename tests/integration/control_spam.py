# SPDX-License-Identifier: Apache-2.0
# control_spam.py once SOCKET LINE: sends LINE on one connection and
# prints "once SECONDS REPLY" (the time from connect to the reply).
# control_spam.py SOCKET SECONDS CONNS LINE... : CONNS threads, for
# SECONDS, each connecting to the control socket over and over, sending
# one of the LINEs (each thread cycles through them, starting at its own
# index) and reading the reply line. Prints one summary line:
#   spam N ok A already B busy C other D maxwait S
# and the first reply of each kind ("first-busy TEXT", ...). For the
# control socket cost test (t_hostile_control_cost.sh).
import socket, sys, threading, time

def line_of(arg):
    return arg.replace("\\t", "\t").encode() + b"\n"

def ask(path, line):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(120)
    s.connect(path)
    s.sendall(line)
    buf = b""
    while not buf.endswith(b"\n"):
        got = s.recv(4096)
        if not got:
            break
        buf += got
    s.close()
    return buf.decode(errors="replace").rstrip("\n")

if sys.argv[1] == "once":
    t0 = time.monotonic()
    reply = ask(sys.argv[2], line_of(sys.argv[3]))
    print("once %.2f %s" % (time.monotonic() - t0, reply))
    sys.exit(0 if reply.startswith("ok\t") else 1)

path, secs, conns = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
lines = [line_of(l) for l in sys.argv[4:]]
lock = threading.Lock()
counts = {"ok": 0, "already": 0, "busy": 0, "other": 0}
first = {}
maxwait = [0.0]

def kind(reply):
    if reply.startswith("ok\t"):
        return "ok"
    if "busy: too many changes from uid" in reply:
        return "busy"
    if "already" in reply or "is no reader" in reply:
        return "already"
    return "other"

def run(k):
    end = time.monotonic() + secs
    i = k
    while time.monotonic() < end:
        line = lines[i % len(lines)]
        i += 1
        t0 = time.monotonic()
        try:
            reply = ask(path, line)
        except OSError as e:
            reply = "oserror " + str(e)
            time.sleep(0.05)
        kd = kind(reply)
        with lock:
            counts[kd] += 1
            first.setdefault(kd, reply)
            maxwait[0] = max(maxwait[0], time.monotonic() - t0)

ts = [threading.Thread(target=run, args=(k,)) for k in range(conns)]
for t in ts:
    t.start()
for t in ts:
    t.join()
n = sum(counts.values())
print("spam %d ok %d already %d busy %d other %d maxwait %.1f" %
      (n, counts["ok"], counts["already"], counts["busy"], counts["other"],
       maxwait[0]))
for kd, r in sorted(first.items()):
    print("first-%s %s" % (kd, r))
