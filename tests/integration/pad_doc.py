# SPDX-License-Identifier: Apache-2.0
"""pad_doc.py DOC SIZE: pads a catalog document, in lyb's own format, to
exactly SIZE bytes with access.history entries (what a burst of access
changes, or a writer padding a DataSet, leaves), so a test can put a
DataSet right under the reader's 64 MiB cap. Fails unless lyb's format is
what this script reproduces (then the padding would be off)."""
import json
import os
import sys

path, size = sys.argv[1], int(sys.argv[2])
text = open(path).read()
doc = json.loads(text)


def dump(d):
    return json.dumps(d, indent=2, ensure_ascii=True) + "\n"


assert dump(doc) == text, "lyb's format changed: the padding would be off"
if "access" not in doc:
    # where lyb writes it: after "versions", before unknown fields
    rest = {k: doc.pop(k) for k in list(doc) if k not in
            ("lybrary", "name", "description", "owner", "slo", "format",
             "schema", "readers", "upstream", "created", "versions")}
    doc["access"] = {"requests": [], "history": []}
    doc.update(rest)
hist = doc["access"]["history"]


def entry(n, reason):
    return {"time": "2026-01-01T00:00:00Z", "by": "user:pad@thecompany.com",
            "action": "request", "principal": "user:p%06d@thecompany.com" % n,
            "reason": reason}


# every added entry but the first costs the same: measure, then compute
CHUNK = 60000  # a reason the reader takes (at most 64 KiB)
hist.append(entry(0, ""))
first = len(dump(doc))
hist.append(entry(1, ""))
per = len(dump(doc)) - first + CHUNK
hist.pop()
rem = size - first
assert rem >= 0, "the document is over %d bytes already" % size
more = rem // per
hist[-1]["reason"] = "h" * (rem - more * per)
for i in range(more):
    hist.append(entry(i + 1, "h" * CHUNK))
out = dump(doc)
assert len(out) == size, len(out)
tmp = path + ".pad"
open(tmp, "w").write(out)
os.rename(tmp, path)
