#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Prints every record of an Avro file as python3-avro decodes it,
converted to the Avro specification's JSON encoding the way lybfs
documents it (unions as {"type": value}, bytes and fixed as U+00XX
strings, logical types as their underlying type), or with --plain to
lybfs's plain JSON (docs/json.md: unions unwrapped unless their branches
look alike in JSON, bytes and fixed base64, logical types as text). One
JSON line each.

usage: avro_to_json.py [--plain] FILE.avro
"""
import base64
import datetime
import decimal
import json
import sys

import avro.datafile
import avro.io

EPOCH = datetime.date(1970, 1, 1)


def latin1(b):
    return "".join(chr(x) for x in b)


def decimal_bytes(d, scale):
    unscaled = int(d.scaleb(scale))
    n = max(1, (unscaled.bit_length() + 8) // 8)
    return unscaled.to_bytes(n, "big", signed=True)


def full_name(s):
    return s.fullname if hasattr(s, "fullname") else s.type


def conv(schema, v):
    t = schema.type
    logical = schema.props.get("logicalType") if hasattr(schema, "props") else None
    if t == "union":
        if v is None:
            return None
        for branch in schema.schemas:
            if branch.type != "null" and branch_matches(branch, v):
                return {full_name(branch): conv(branch, v)}
        raise ValueError("no union branch for %r" % (v,))
    if t == "record":
        return {f.name: conv(f.type, v[f.name]) for f in schema.fields}
    if t == "array":
        return [conv(schema.items, x) for x in v]
    if t == "map":
        return {k: conv(schema.values, x) for k, x in v.items()}
    if logical == "date" and isinstance(v, datetime.date):
        return (v - EPOCH).days
    if logical == "timestamp-millis" and isinstance(v, datetime.datetime):
        return int((v - datetime.datetime(1970, 1, 1, tzinfo=v.tzinfo)).total_seconds() * 1000)
    if logical == "decimal" and isinstance(v, decimal.Decimal):
        return latin1(decimal_bytes(v, schema.props.get("scale", 0)))
    if t in ("bytes", "fixed"):
        return latin1(v)
    return v


def kinds(s):
    """The kinds of JSON value a type may be written as in plain JSON."""
    t = s.type
    logical = s.props.get("logicalType") if hasattr(s, "props") else None
    if t == "null":
        return set()
    if t in ("int", "long"):
        return {"num", "str"} if logical in LOGICAL else {"num"}
    if t in ("float", "double"):
        return {"num", "str"}
    if t in ("string", "bytes", "fixed", "enum"):
        return {"str"}
    return {{"boolean": "bool", "record": "obj", "map": "obj",
             "array": "arr"}.get(t, "any")}


LOGICAL = ("date", "time-millis", "time-micros", "timestamp-millis",
           "timestamp-micros", "local-timestamp-millis",
           "local-timestamp-micros")


def tagged(u):
    seen = set()
    for b in u.schemas:
        k = kinds(b)
        if seen & k:
            return True
        seen |= k
    return False


def plain(schema, v):
    t = schema.type
    logical = schema.props.get("logicalType") if hasattr(schema, "props") else None
    if t == "union":
        if v is None:
            return None
        for branch in schema.schemas:
            if branch.type != "null" and branch_matches(branch, v):
                if tagged(schema):
                    return {full_name(branch): plain(branch, v)}
                return plain(branch, v)
        raise ValueError("no union branch for %r" % (v,))
    if t == "record":
        return {f.name: plain(f.type, v[f.name]) for f in schema.fields}
    if t == "array":
        return [plain(schema.items, x) for x in v]
    if t == "map":
        return {k: plain(schema.values, x) for k, x in v.items()}
    if logical == "date" and isinstance(v, datetime.date):
        return v.isoformat()
    if logical in ("timestamp-millis", "timestamp-micros") and isinstance(v, datetime.datetime):
        v = v.astimezone(datetime.timezone.utc)
        frac = ("%03d" % (v.microsecond // 1000) if logical == "timestamp-millis"
                else "%06d" % v.microsecond)
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + frac + "Z"
    if logical == "decimal" and isinstance(v, decimal.Decimal):
        return format(v, "f")
    if t in ("bytes", "fixed"):
        return base64.b64encode(v).decode()
    return v


def branch_matches(s, v):
    py = {"string": str, "boolean": bool, "int": int, "long": int,
          "float": float, "double": float, "bytes": bytes, "record": dict,
          "map": dict, "array": list, "enum": str, "fixed": bytes}
    return isinstance(v, py.get(s.type, object))


args = sys.argv[1:]
encode = conv
if args and args[0] == "--plain":
    encode = plain
    args = args[1:]
with open(args[0], "rb") as f:
    r = avro.datafile.DataFileReader(f, avro.io.DatumReader())
    for rec in r:
        print(json.dumps(encode(r.datum_reader.writers_schema, rec)))
