#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the generated seed corpora under tests/fuzz/corpus/ (committed;
re-run by hand only to change them): small Avro container files with
every codec and type, their schemas, Snowflake exports (JSON lines and
CSV, plain and gzip) and mount paths; hostile Avro files past the decoding
limits (issue 12: a recursive record nested 100,000 levels, a block
claiming 4e8 empty records, a schema nested too deep, 0-byte records of
long JSON), written by tests/integration/make_hostile_avro.py. The catalog
harness also takes tests/data/catalog/ as seeds. Needs /usr/bin/python3
with python3-avro and python3-snappy; deterministic (fixed sync markers,
gzip mtime 0)."""
import datetime
import decimal
import gzip
import importlib.util
import io
import json
import os

import avro.datafile
import avro.io
import avro.schema

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
_spec = importlib.util.spec_from_file_location(
    "make_hostile_avro",
    os.path.join(HERE, "..", "integration", "make_hostile_avro.py"))
hostile = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hostile)

ALL_TYPES = {
    "type": "record", "name": "All", "namespace": "lyb.fuzz",
    "doc": "one field of every Avro type",
    "fields": [
        {"name": "n", "type": "null"},
        {"name": "b", "type": "boolean"},
        {"name": "i", "type": "int", "doc": "an int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "by", "type": "bytes"},
        {"name": "s", "type": "string"},
        {"name": "e", "type": {"type": "enum", "name": "Color",
                               "symbols": ["RED", "GREEN", "BLUE"]}},
        {"name": "fx", "type": {"type": "fixed", "name": "Four", "size": 4}},
        {"name": "a", "type": {"type": "array", "items": "int"}},
        {"name": "m", "type": {"type": "map", "values": "string"}},
        {"name": "u", "type": ["null", "string", "Color"]},
        {"name": "r", "type": {"type": "record", "name": "Inner", "fields": [
            {"name": "x", "type": ["null", {
                "type": "record", "name": "Leaf", "fields": [
                    {"name": "y", "type": ["null", "int"]}]}],
             "default": None}]}},
        {"name": "dt", "type": {"type": "int", "logicalType": "date"}},
        {"name": "dec", "type": {"type": "bytes", "logicalType": "decimal",
                                 "precision": 5, "scale": 2}},
    ],
}

ROWS = [
    {"n": None, "b": True, "i": -1, "l": 1 << 40, "f": 1.5,
     "d": float("nan"), "by": b"\x00\xff", "s": "h\u00e9\"llo\n",
     "e": "GREEN", "fx": b"abcd", "a": [1, -2, 3], "m": {"k": "v"},
     "u": "x", "r": {"x": {"y": 5}}, "dt": datetime.date(2020, 9, 3), "dec": decimal.Decimal("2.58")},
    {"n": None, "b": False, "i": 2147483647, "l": -(1 << 63), "f": -0.0,
     "d": float("inf"), "by": b"", "s": "", "e": "RED", "fx": b"\x00\x00\x00\x00",
     "a": [], "m": {}, "u": None, "r": {"x": None}, "dt": datetime.date(1970, 1, 1), "dec": decimal.Decimal("-0.01")},
]


def write(sub, name, data):
    d = os.path.join(CORPUS, sub)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def avro_file(schema, rows, codec, block_rows=1):
    out = io.BytesIO()
    w = avro.datafile.DataFileWriter(out, avro.io.DatumWriter(),
                                     avro.schema.parse(json.dumps(schema)),
                                     codec=codec)
    w.sync_marker = bytes(range(16))  # deterministic
    for k, r in enumerate(rows):
        w.append(r)
        if (k + 1) % block_rows == 0:
            w.flush()
    w.flush()
    return out.getvalue()


def main():
    simple = {"type": "record", "name": "R",
              "fields": [{"name": "id", "type": "string"},
                         {"name": "v", "type": ["null", "long"]}]}
    srows = [{"id": "a%d" % k, "v": k if k % 2 else None} for k in range(5)]
    for codec in ("null", "deflate", "snappy"):
        write("avro", "all-%s.avro" % codec, avro_file(ALL_TYPES, ROWS, codec))
        write("avro", "simple-%s.avro" % codec,
              avro_file(simple, srows, codec, block_rows=2))
    write("avro", "empty.avro", avro_file(simple, [], "null"))
    write("avro", "scalar.avro", avro_file("long", [1, -1, 1 << 62], "null"))
    write("avro", "bad-magic.avro", b"Obj\x02" + avro_file(simple, srows, "null")[4:])
    write("avro", "truncated.avro", avro_file(simple, srows, "deflate")[:-20])
    # past the decoding limits (decode.h, schema.h)
    write("avro", "regress-recursive-100000.avro", hostile.recursive(100000))
    write("avro", "regress-amplify-4e8.avro", hostile.amplify(400000000))
    write("avro", "regress-amplify-limit.avro", hostile.amplify(1025))
    write("avro", "regress-deep-schema-33.avro", hostile.deep_schema(33))
    write("avro", "regress-json-amp.avro", hostile.json_amp(1024))
    write("avro", "regress-bomb-deflate.avro", hostile.bomb("deflate", 65))
    write("avro", "regress-bomb-lzma.avro", hostile.bomb("lzma", 65))
    # snappy: a length header claiming 100 MiB over a few bytes
    write("avro", "regress-bomb-snappy-header.avro", hostile.container(
        {"type": "record", "name": "Z", "fields": [{"name": "i", "type": "int"}]},
        [(1, bytes([0x80, 0x80, 0x80, 0x32]) +
          b"\x00\x00" + bytes(4))], b"snappy"))

    write("schema", "all.json", json.dumps(ALL_TYPES).encode())
    write("schema", "simple.json", json.dumps(simple).encode())
    write("schema", "primitive.json", b'"string"')
    write("schema", "union.json", b'["null", "int", {"type": "array", "items": "bytes"}]')
    write("schema", "recursive.json", json.dumps(
        {"type": "record", "name": "List", "fields": [
            {"name": "next", "type": ["null", "List"]}]}).encode())
    write("schema", "mutual-recursive.json", json.dumps(
        {"type": "record", "name": "A", "namespace": "x", "fields": [
            {"name": "b", "type": {"type": "record", "name": "B",
                                   "namespace": "y", "fields": [
                {"name": "a", "type": {"type": "array",
                                       "items": "x.A"}}]}}]}).encode())
    for levels in (32, 33):
        t = "int"
        for i in range(levels - 1):
            t = {"type": "record", "name": "D%d" % i,
                 "fields": [{"name": "f", "type": t}]}
        write("schema", "deep-%d.json" % levels, json.dumps(t).encode())
    t = {"type": "record", "name": "R0",
         "fields": [{"name": "x", "type": "int"}]}
    for i in range(1, 31):  # 2^30 paths through 31 types
        t = {"type": "record", "name": "R%d" % i,
             "fields": [{"name": "a", "type": t},
                        {"name": "b", "type": "R%d" % (i - 1)}]}
    write("schema", "reuse-dag.json", json.dumps(t).encode())
    write("schema", "bad-type.json", b'{"type": "nope"}')
    write("schema", "not-json.json", b'{"type": "record", "fields": [')

    js = b"".join(json.dumps(r, default=repr).encode() + b"\n" for r in
                  [{"id": 1, "s": "a"}, {"id": 2, "s": "b\nc"}, {"nested": {"x": [1, 2]}}])
    csv = (b'id,name,note\n1,alice,"says ""hi"""\n2,bob,"two\nlines"\n'
           b'3,,\r\n4,"x,y",z\n')
    write("export", "rows.json", js)
    write("export", "rows-no-final-newline.json", js.rstrip(b"\n"))
    write("export", "blank-lines.json", b"\n\n{\"a\": 1}\n\n")
    write("export", "rows.csv", csv)
    write("export", "header-only.csv", b"a,b,c\n")
    write("export", "ragged.csv", b"a,b\n1,2,3\n4\n\"open quote\n")
    write("export", "rows.json.gz", gzip.compress(js, mtime=0))
    write("export", "rows.csv.gz", gzip.compress(csv, mtime=0))
    write("export", "two-members.csv.gz",
          gzip.compress(csv, mtime=0) + gzip.compress(b"5,e,f\n", mtime=0))
    write("export", "truncated.json.gz", gzip.compress(js, mtime=0)[:-9])

    ds = "artist-metadata.DominantGenres"
    paths = {
        "root": "", "dataset": ds, "meta": ".lyb/metrics\0.lyb/health",
        "info": ds + "/.lyb/info.json\0" + ds + "/.lyb/status",
        "lineage": ds + "/.lyb/upstream/artist-metadata.Artists\0"
                   "artist-metadata.Artists/.lyb/downstream/" + ds,
        "latest": ds + "/latest\0" + ds + "/2020-09-03/latest",
        "version": ds + "/2020-09-03/922d6e/.lyb/info.json\0" + ds +
                   "/2020-09-03/922d6e/.lyb/upstream/artist-metadata.Artists",
        "object": ds + "/2020-09-03/922d6e/gs/a/b/c.avro\0" + ds +
                  "/2020-09-03/922d6e/snow/data_0_0_0.json.gz",
        "dotdot": "../" + ds + "/./2020-09-03/../2020-09-03//922d6e/..",
        "slashes": "//" + ds + "///2020-09-03/",
        "long-name": "a." + "x" * 10000,
        "long-path": "/".join([ds] + ["2020-09-03"] * 900),
        "bad-date": ds + "/2020-02-30\0" + ds + "/2020-13-01/922d6e",
        "control": ds + "/\x01\x7f\xff\n/\t",
        "names": "a.B\0user:a@b.c\0group:x\0x.csv.gz\0x.ndjson\0912ec8",
    }
    for name, p in paths.items():
        write("path", name, p.encode("utf-8", "surrogateescape"))


if __name__ == "__main__":
    main()
