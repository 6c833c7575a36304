#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""make_big_avro.py OUT MIB [SEED]: an Avro file of about MIB MiB written by
python3-avro (records of 256 KiB random bytes, null codec): big enough to
exercise the block cache and read-ahead, quick to write. MIB may be a
fraction (0.25: one record), for a small file of the same schema, so
that big and small files share a location (publish wants one writer
schema per location)."""
import io
import random
import sys

import avro.datafile
import avro.io
import avro.schema

SCHEMA = avro.schema.parse(
    '{"type": "record", "name": "Blob", "namespace": "lyb.test",'
    ' "fields": [{"name": "i", "type": "long"}, {"name": "b", "type": "bytes"}]}')

out, mib = sys.argv[1], float(sys.argv[2])
rnd = random.Random(sys.argv[3] if len(sys.argv) > 3 else out)
with open(out, "wb") as f:
    w = avro.datafile.DataFileWriter(f, avro.io.DatumWriter(), SCHEMA)
    for i in range(max(1, int(mib * 4))):
        w.append({"i": i, "b": rnd.randbytes(256 * 1024)})
    w.close()
