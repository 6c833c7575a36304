#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""demo_data.py - writes the demo's data: the user story's DataSets as a
pipeline would have left them in GCS and in a Snowflake unload, under a
local directory standing in for both.

Run with Debian's /usr/bin/python3 and its python3-avro, an Avro writer
independent of lybfs. Usage: demo_data.py OUTDIR writes the user story's
dates (2020-09-01 to 03); demo_data.py --dates OUTDIR YYYY-MM-DD...
writes one run of each DataSet for each date that is not there yet (the
demo's recent dates, so that today's delivery shows on time or late);
demo_data.py --version prints the generator's version (demo.sh
regenerates when it changes).

Everything is deterministic (seeded random data, fixed Avro sync markers,
gzip without a timestamp), so regenerating gives byte-identical files and
therefore the same version ids in the catalog.

Layout (OUTDIR/):
  schemas/<Name>.avsc
  gs/artist-metadata.DominantGenres_60e0c6/2020/09/DD/run-N/part-0000{0,1}.avro
  snow/artist-metadata/dominant_genres/2020-09-DD/run-N/data_0_0_0.json.gz
  gs/artist-metadata.PopularArtistsGlobal_5a1f2e/2020/09/DD/run-1/part-00000.avro
  gs/artist-analytics.GenresOfPopularArtists_d2a225/2020/09/03/run-1/part-00000.avro
  .complete   written last, holds DATA_VERSION
and with --dates, for each DATE, the same three under YYYY/MM/DD/run-1
(and the export under dominant_genres/DATE/run-1), then
dates/DATE.complete, written last.
"""

import gzip
import hashlib
import io
import json
import os
import random
import sys

import avro.datafile
import avro.io
import avro.schema

DATA_VERSION = "lybfs-demo-data 1"

DOMINANT_GENRES = {
    "type": "record",
    "name": "DominantGenres",
    "namespace": "com.thecompany.artist_metadata",
    "doc": "The genres that best describe each artist, strongest first",
    "fields": [
        {"name": "artist_id", "type": "string", "doc": "artist catalog id"},
        {
            "name": "dominant_genres",
            "doc": "genres with a score in [0, 1]; scores sum to 1",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "GenreScore",
                    "fields": [
                        {"name": "genre", "type": "string"},
                        {"name": "score", "type": "double"},
                    ],
                },
            },
        },
    ],
}

POPULAR_ARTISTS = {
    "type": "record",
    "name": "PopularArtistsGlobal",
    "namespace": "com.thecompany.artist_metadata",
    "doc": "Artists ranked by global popularity, 1 is the most popular",
    "fields": [
        {"name": "artist_id", "type": "string", "doc": "artist catalog id"},
        {"name": "global_rank", "type": "int", "doc": "1 = most popular"},
    ],
}

GENRES_OF_POPULAR = {
    "type": "record",
    "name": "GenresOfPopularArtists",
    "namespace": "com.thecompany.artist_analytics",
    "doc": "How many of the top 1000 artists have each genre (score > .1)",
    "fields": [
        {"name": "top_genre", "type": "string"},
        {"name": "genre_count", "type": "long"},
    ],
}

TOP_N = 1000
POOL = 12000  # artists that exist
NGENRES = 125

BASES = ["rock", "pop", "rap", "funk", "jazz", "soul", "folk", "house",
         "techno", "metal", "punk", "blues", "reggae", "country", "disco",
         "trance", "ambient", "gospel", "salsa", "samba", "k-pop", "j-pop",
         "grime", "drill", "dub"]
PREFIXES = ["", "indie ", "alt ", "dream ", "neo ", "post-", "deep ",
            "acid ", "latin ", "nordic ", "uk ", "lo-fi "]


def genres():
    out = []
    for prefix in PREFIXES:
        for base in BASES:
            out.append(prefix + base)
            if len(out) == NGENRES:
                return out
    return out


def artist_ids():
    rnd = random.Random("artists")
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return ["".join(rnd.choice(alphabet) for _ in range(12))
            for _ in range(POOL)]


def dominant_genres_rows(seed, nrows, artists, genre_names):
    """One row per artist: 1-4 genres, Zipf-ish so rock and pop lead."""
    rnd = random.Random(seed)
    weights = [1.0 / (i + 1) for i in range(len(genre_names))]
    rows = []
    for artist in rnd.sample(artists, nrows):
        k = rnd.choice([1, 1, 2, 2, 2, 3, 3, 4])
        picked = []
        while len(picked) < k:
            g = rnd.choices(genre_names, weights)[0]
            if g not in picked:
                picked.append(g)
        raw = sorted((rnd.random() + 0.05 for _ in picked), reverse=True)
        total = sum(raw)
        scores = [round(r / total, 2) for r in raw]
        rows.append({"artist_id": artist,
                     "dominant_genres": [{"genre": g, "score": s}
                                         for g, s in zip(picked, scores)]})
    return rows


def write_avro(out, path, schema, rows, codec="null"):
    """Writes OUT/PATH; the sync marker is derived from PATH."""
    name = os.path.relpath(path, out)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    parsed = avro.schema.parse(json.dumps(schema))
    with open(path, "wb") as f:
        writer = avro.datafile.DataFileWriter(f, avro.io.DatumWriter(),
                                              parsed, codec=codec)
        # a fixed sync marker instead of a random one: same bytes each run
        writer.sync_marker = hashlib.md5(name.encode()).digest()
        for row in rows:
            writer.append(row)
        writer.close()


def write_marker(directory):
    """Pipelines leave a _SUCCESS marker; lyb publish skips it."""
    with open(os.path.join(directory, "_SUCCESS"), "wb"):
        pass


def write_export(path, rows):
    """A Snowflake unload: JSON lines, gzip, no timestamp in the header."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        for row in rows:
            gz.write(json.dumps(row, separators=(",", ":")).encode())
            gz.write(b"\n")
    with open(path, "wb") as f:
        f.write(buf.getvalue())


def genres_of_popular(dominant_rows, ranked, genre_names):
    """The user story's query: genres of the top artists, one row each."""
    top = set(ranked[:TOP_N])
    counts = dict.fromkeys(genre_names, 0)
    for row in dominant_rows:
        if row["artist_id"] in top:
            for gs in row["dominant_genres"]:
                if gs["score"] > 0.1:
                    counts[gs["genre"]] += 1
    return [{"top_genre": g, "genre_count": c}
            for g, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def write_date(out, date, artists, genre_names):
    """One run of each DataSet for DATE (YYYY-MM-DD), seeded by it."""
    y, m, d = date.split("-")
    marker = os.path.join(out, "dates", date + ".complete")
    if os.path.exists(marker):
        return
    rows = dominant_genres_rows("dominant-" + date, 10000 + int(d),
                                artists, genre_names)
    gs_dir = os.path.join(out, "gs", "artist-metadata.DominantGenres_60e0c6",
                          y, m, d, "run-1")
    half = len(rows) // 2
    write_avro(out, os.path.join(gs_dir, "part-00000.avro"), DOMINANT_GENRES,
               rows[:half], codec="deflate")
    write_avro(out, os.path.join(gs_dir, "part-00001.avro"), DOMINANT_GENRES,
               rows[half:], codec="deflate")
    write_marker(gs_dir)
    write_export(os.path.join(out, "snow", "artist-metadata",
                              "dominant_genres", date, "run-1",
                              "data_0_0_0.json.gz"), rows)
    ranked = random.Random("popular-" + date).sample(artists, 5000)
    pa_dir = os.path.join(out, "gs",
                          "artist-metadata.PopularArtistsGlobal_5a1f2e",
                          y, m, d, "run-1")
    write_avro(out, os.path.join(pa_dir, "part-00000.avro"), POPULAR_ARTISTS,
               [{"artist_id": a, "global_rank": i + 1}
                for i, a in enumerate(ranked)])
    write_marker(pa_dir)
    gp_dir = os.path.join(out, "gs",
                          "artist-analytics.GenresOfPopularArtists_d2a225",
                          y, m, d, "run-1")
    write_avro(out, os.path.join(gp_dir, "part-00000.avro"), GENRES_OF_POPULAR,
               genres_of_popular(rows, ranked, genre_names))
    write_marker(gp_dir)
    os.makedirs(os.path.dirname(marker), exist_ok=True)
    with open(marker, "w") as f:  # last: the date is complete
        f.write(DATA_VERSION + "\n")


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--version":
        print(DATA_VERSION)
        return
    if len(sys.argv) >= 3 and sys.argv[1] == "--dates":
        for date in sys.argv[3:]:
            if len(date) != 10 or date[4] != "-" or date[7] != "-":
                sys.exit("demo_data.py: not a date (YYYY-MM-DD): " + date)
            write_date(sys.argv[2], date, artist_ids(),
                       genres())
        return
    if len(sys.argv) != 2:
        sys.exit("usage: demo_data.py OUTDIR | --version")
    out = sys.argv[1]
    genre_names = genres()
    artists = artist_ids()

    schemas = os.path.join(out, "schemas")
    os.makedirs(schemas, exist_ok=True)
    for schema in (DOMINANT_GENRES, POPULAR_ARTISTS, GENRES_OF_POPULAR):
        with open(os.path.join(schemas, schema["name"] + ".avsc"), "w") as f:
            json.dump(schema, f, indent=2)
            f.write("\n")

    # artist-metadata.DominantGenres: three dates, 2020-09-03 twice
    gs_root = os.path.join(out, "gs", "artist-metadata.DominantGenres_60e0c6")
    snow_root = os.path.join(out, "snow", "artist-metadata",
                             "dominant_genres")
    latest_dominant = None
    for day, run, nrows in (("01", 1, 10000), ("02", 1, 10012),
                            ("03", 1, 10020), ("03", 2, 10031)):
        rows = dominant_genres_rows("dominant-%s-%d" % (day, run), nrows,
                                    artists, genre_names)
        gs_dir = os.path.join(gs_root, "2020", "09", day, "run-%d" % run)
        half = len(rows) // 2
        write_avro(out, os.path.join(gs_dir, "part-00000.avro"), DOMINANT_GENRES,
                   rows[:half], codec="deflate")
        write_avro(out, os.path.join(gs_dir, "part-00001.avro"), DOMINANT_GENRES,
                   rows[half:], codec="deflate")
        write_marker(gs_dir)
        write_export(os.path.join(snow_root, "2020-09-" + day,
                                  "run-%d" % run, "data_0_0_0.json.gz"), rows)
        latest_dominant = rows

    # artist-metadata.PopularArtistsGlobal: one version per date
    ranked = None
    for day in ("01", "02", "03"):
        rnd = random.Random("popular-" + day)
        ranked = rnd.sample(artists, 5000)
        rows = [{"artist_id": a, "global_rank": i + 1}
                for i, a in enumerate(ranked)]
        gs_dir = os.path.join(out, "gs",
                              "artist-metadata.PopularArtistsGlobal_5a1f2e",
                              "2020", "09", day, "run-1")
        write_avro(out, os.path.join(gs_dir, "part-00000.avro"), POPULAR_ARTISTS,
                   rows)
        write_marker(gs_dir)

    # artist-analytics.GenresOfPopularArtists for 2020-09-03: the user
    # story's query over the latest versions above, one row per genre
    rows = genres_of_popular(latest_dominant, ranked, genre_names)
    gs_dir = os.path.join(out, "gs",
                          "artist-analytics.GenresOfPopularArtists_d2a225",
                          "2020", "09", "03", "run-1")
    write_avro(out, os.path.join(gs_dir, "part-00000.avro"), GENRES_OF_POPULAR,
               rows)
    write_marker(gs_dir)

    with open(os.path.join(out, ".complete"), "w") as f:
        f.write(DATA_VERSION + "\n")


if __name__ == "__main__":
    main()
