#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes an Avro container file with Debian's python3-avro: an
implementation independent of ours, so tests never only read what our own
code wrote. The schema covers nested records, arrays, maps, enums, fixed,
bytes, unions with null and logical types.

usage: make_avro.py OUT [--rows N] [--codec null|deflate|snappy]
                        [--block-records N] [--seed S] [--jsonl OUT.jsonl]
"""
import argparse
import datetime
import decimal
import json
import random

import avro.datafile
import avro.io
import avro.schema

SCHEMA = {
    "type": "record", "name": "DominantGenres", "namespace": "artist_metadata",
    "fields": [
        {"name": "artist_id", "type": "string"},
        {"name": "dominant_genres", "type": {"type": "array", "items": {
            "type": "record", "name": "Genre", "fields": [
                {"name": "genre", "type": "string"},
                {"name": "score", "type": "double"}]}}},
        {"name": "tags", "type": {"type": "map", "values": "long"}},
        {"name": "tier", "type": {"type": "enum", "name": "Tier",
                                  "symbols": ["GOLD", "SILVER", "BRONZE"]}},
        {"name": "country", "type": ["null", "string"], "default": None},
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}},
        {"name": "blob", "type": "bytes"},
        {"name": "first_seen", "type": {"type": "int", "logicalType": "date"}},
        {"name": "updated", "type": {"type": "long",
                                     "logicalType": "timestamp-millis"}},
        {"name": "revenue", "type": {"type": "bytes", "logicalType": "decimal",
                                     "precision": 9, "scale": 2}},
    ],
}
GENRES = ["rock", "pop", "rap", "funk", "jazz", "folk", "metal", "soul"]


def record(rng, i):
    n = rng.randint(0, 4)
    return {
        "artist_id": "%06x" % rng.getrandbits(24),
        "dominant_genres": [{"genre": rng.choice(GENRES),
                             "score": round(rng.random(), 3)} for _ in range(n)],
        "tags": {"k%d" % j: rng.randint(-5, 5) for j in range(rng.randint(0, 3))},
        "tier": rng.choice(["GOLD", "SILVER", "BRONZE"]),
        "country": rng.choice([None, "SE", "US", "BR"]),
        "hash": bytes(rng.getrandbits(8) for _ in range(4)),
        "blob": bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 8))),
        "first_seen": datetime.date(2020, 1, 1) + datetime.timedelta(days=i % 300),
        "updated": datetime.datetime(2020, 9, 3, tzinfo=datetime.timezone.utc)
        + datetime.timedelta(seconds=i),
        "revenue": decimal.Decimal(rng.randint(-99999, 99999)).scaleb(-2),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=1000)
    ap.add_argument("--codec", default="null")
    ap.add_argument("--block-records", type=int, default=100)
    ap.add_argument("--seed", default="lybfs")
    ap.add_argument("--jsonl")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    schema = avro.schema.parse(json.dumps(SCHEMA))
    with open(a.out, "wb") as f:
        w = avro.datafile.DataFileWriter(f, avro.io.DatumWriter(), schema,
                                         codec=a.codec)
        # a fixed sync marker keeps the same seed byte-identical
        w.sync_marker = bytes(rng.getrandbits(8) for _ in range(16))
        for i in range(a.rows):
            w.append(record(rng, i))
            if (i + 1) % a.block_records == 0:
                w.flush()
        w.close()


if __name__ == "__main__":
    main()
