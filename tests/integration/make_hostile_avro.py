#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes hostile Avro container files byte by byte (python3-avro cannot:
its writer recurses per level of data, and it would not write a block
that lies about its record count). Used by t_hostile_avro.sh and by
tests/fuzz/make_corpus.py.

  make_hostile_avro.py recursive OUT [LEVELS]  a record that contains
      itself ({"name":"L","fields":[{"name":"next","type":["null","L"]}]}),
      one record nested LEVELS deep (default 100000)
  make_hostile_avro.py amplify OUT [RECORDS]  a record of no fields, one
      null-codec block claiming RECORDS of them (default 4e8) in 0 bytes
  make_hostile_avro.py deep-schema OUT [LEVELS]  a record nested LEVELS
      deep in its schema (not recursive), one record
  make_hostile_avro.py json-amp OUT [RECORDS]  a record of one null
      field with a 2000-character name: RECORDS (default 1024, what 0
      bytes may claim) of 0 bytes each, 2 MB of JSON from nothing
  make_hostile_avro.py bomb OUT CODEC [MIB]  a compression bomb: one
      block of CODEC (deflate, snappy or lzma) data that decompresses to
      MIB (default 1024) MiB of zeros, read as 1000 records of int 0
  make_hostile_avro.py wide OUT [RECORDS]  not hostile, only large: one
      block of RECORDS (default 100000) records of one int field with a
      2000-character name, each 1 byte of Avro and 2 KB of JSON (within
      the limits: 200 MB of JSON from a 100 KB block)
"""
import json
import sys

SYNC = bytes(range(0x40, 0x50))


def long_bytes(n):
    """An Avro long: zig-zag, then a base-128 varint."""
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def container(schema, blocks, codec=b"null"):
    """blocks: a list of (count, data bytes)."""
    meta = [(b"avro.schema", json.dumps(schema).encode()),
            (b"avro.codec", codec)]
    out = bytearray(b"Obj\x01")
    out += long_bytes(len(meta))
    for k, v in meta:
        out += long_bytes(len(k)) + k + long_bytes(len(v)) + v
    out += long_bytes(0) + SYNC
    for count, data in blocks:
        out += long_bytes(count) + long_bytes(len(data)) + data + SYNC
    return bytes(out)


def recursive(levels):
    schema = {"type": "record", "name": "L",
              "fields": [{"name": "next", "type": ["null", "L"]}]}
    # each level: union branch 1 (an L); the innermost: branch 0 (null)
    return container(schema, [(1, b"\x02" * levels + b"\x00")])


def amplify(records):
    return container({"type": "record", "name": "E", "fields": []},
                     [(records, b"")])


def deep_schema(levels):
    t = "int"
    for i in range(levels - 1):
        t = {"type": "record", "name": "D%d" % i,
             "fields": [{"name": "f", "type": t}]}
    return container(t, [(1, b"\x02")])


def json_amp(records):
    schema = {"type": "record", "name": "N",
              "fields": [{"name": "f" * 2000, "type": "null"}]}
    return container(schema, [(records, b"")])


def bomb(codec, mib):
    zeros = bytes(1 << 20)
    if codec == "deflate":
        import zlib
        # after a full flush the history is empty: every MiB compresses
        # to the same bytes, so the stream is one segment repeated
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        seg = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
        data = seg * mib + c.flush()
    elif codec == "lzma":  # avro-c's: raw LZMA2, default preset
        import lzma
        c = lzma.LZMACompressor(lzma.FORMAT_RAW,
                                filters=[{"id": lzma.FILTER_LZMA2, "preset": 6}])
        data = b"".join(c.compress(zeros) for _ in range(mib)) + c.flush()
    elif codec == "snappy":  # its CRC32 of the whole, big-endian, after
        import snappy
        import zlib
        whole = bytes(mib << 20)
        data = snappy.compress(whole) + zlib.crc32(whole).to_bytes(4, "big")
    else:
        sys.exit("unknown codec " + codec)
    schema = {"type": "record", "name": "Z",
              "fields": [{"name": "i", "type": "int"}]}
    return container(schema, [(1000, data)], codec.encode())


def wide(records):
    schema = {"type": "record", "name": "W",
              "fields": [{"name": "f" * 2000, "type": "int"}]}
    return container(schema, [(records, b"\x00" * records)])


def main():
    kind, out = sys.argv[1], sys.argv[2]
    if kind == "bomb":
        data = bomb(sys.argv[3], int(sys.argv[4]) if len(sys.argv) > 4 else 1024)
        with open(out, "wb") as f:
            f.write(data)
        return
    arg = int(float(sys.argv[3])) if len(sys.argv) > 3 else None
    if kind == "recursive":
        data = recursive(arg or 100000)
    elif kind == "amplify":
        data = amplify(arg or 400000000)
    elif kind == "json-amp":
        data = json_amp(arg or 1024)
    elif kind == "wide":
        data = wide(arg or 100000)
    elif kind == "deep-schema":
        data = deep_schema(arg or 40)
    else:
        sys.exit("unknown kind " + kind)
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
