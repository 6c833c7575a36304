#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# data.jsonl in the shape tools expect (issue 14, item 1): one version with
# a gs copy (Avro, written by python3-avro) and a snow copy (the same
# records as Snowflake unloads them with the settings docs/json.md gives),
# and a second version with only that export. pandas, jq and DuckDB each
# read the gs version's data.jsonl, the raw export files and the export
# version's data.jsonl, and must see one table: the same column names,
# types and values. data.avro.json (the Avro JSON encoding, which
# data.jsonl was before) must not pass the same checks, so the test can
# fail. Also: values match python3-avro's decoding (timestamps, dates,
# exact decimals, base64 bytes), nullable columns are plain values.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || fail "jq is missing (scripts/deps.sh installs it)"
$PY -c 'import pandas' 2>/dev/null || skip "python3-pandas is missing (scripts/deps.sh installs it)"
export LC_ALL=C
cat >"$W/schema.avsc" <<'EOF'
{"type": "record", "name": "DominantGenres", "namespace": "artist_metadata",
 "fields": [{"name": "artist_id", "type": "string"}]}
EOF
lyb dataset create t.T --owner group:x --schema "$W/schema.avsc" >/dev/null

step "the same records as Avro (gs) and as a Snowflake export (snow)"
mkdir -p "$W/gs" "$W/snow"
make_avro "$W/gs/part-0.avro" --rows 700 --codec deflate --block-records 50 --seed tools0
make_avro "$W/gs/part-1.avro" --rows 300 --codec snappy --block-records 40 --seed tools1
# What Snowflake writes for
#   COPY INTO @stage FROM (SELECT OBJECT_CONSTRUCT_KEEP_NULL(*) ...)
#   FILE_FORMAT = (TYPE = JSON, COMPRESSION = GZIP,
#                  BINARY_FORMAT = BASE64) with
#   TIMESTAMP_OUTPUT_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.FF3"Z"', decimals
#   selected as TO_VARCHAR: keys sorted (Snowflake's OBJECT order), dates
#   YYYY-MM-DD, NULLs kept. Made from python3-avro's decoding, not ours.
$PY - "$W" <<'PYEOF'
import base64, datetime, decimal, gzip, json, sys
import avro.datafile, avro.io
w = sys.argv[1]

def snow(v):
    if isinstance(v, dict):
        return {k: snow(v[k]) for k in sorted(v)}
    if isinstance(v, list):
        return [snow(x) for x in v]
    if isinstance(v, datetime.datetime):
        v = v.astimezone(datetime.timezone.utc)
        return v.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (v.microsecond // 1000)
    if isinstance(v, datetime.date):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, decimal.Decimal):
        return "{:f}".format(v)
    if isinstance(v, bytes):
        return base64.b64encode(v).decode()
    return v

for i in range(2):
    with open("%s/gs/part-%d.avro" % (w, i), "rb") as f, \
         gzip.open("%s/snow/data_0_0_%d.json.gz" % (w, i), "wt") as out:
        for rec in avro.datafile.DataFileReader(f, avro.io.DatumReader()):
            out.write(json.dumps(snow(rec), separators=(",", ":")) + "\n")
PYEOF
lyb publish t.T 2020-09-03 --gs "file://$W/gs" --snow "snow://db/t=file://$W/snow" >/dev/null
lyb publish t.T 2020-09-04 --snow "snow://db/t=file://$W/snow" >/dev/null
mount_lybfs
G=$MNT/t.T/2020-09-03/latest
S=$MNT/t.T/2020-09-04/latest
[ -f "$G/data.jsonl" ] && [ -f "$G/data.avro.json" ] || fail "the version has no data.jsonl/data.avro.json: $(ls "$G")"
[ "$(stat -c %s "$G/data.jsonl")" -eq "$(cat "$G/data.jsonl" | wc -c)" ] || fail "st_size of data.jsonl"

step "pandas: data.jsonl, the export's files and the export version: one table"
# check_pandas FILE: exit 0 when FILE reads as the export's table
check_pandas() {
	$PY - "$1" "$G/snow" "$S/data.jsonl" "$W/gs" <<'PYEOF'
import datetime, decimal, glob, json, sys
import pandas as pd
import avro.datafile, avro.io
gs_file, snow_dir, snow_view, avro_dir = sys.argv[1:5]

def table(paths, **kw):
    df = pd.concat([pd.read_json(p, lines=True, **kw) for p in paths],
                   ignore_index=True)
    return df[sorted(df.columns)]

got = table([gs_file])
for name, want in (("export files", table(sorted(glob.glob(snow_dir + "/*.json.gz")),
                                          compression="gzip")),
                   ("export version", table([snow_view]))):
    try:
        pd.testing.assert_frame_equal(got, want)
    except AssertionError as e:
        print("  differs from the %s:\n%s\n%s\n%s" % (name, str(e)[:400],
              got.dtypes.to_dict(), got.head(2).to_dict("records")))
        sys.exit(1)
# the values are python3-avro's, read as people read them
recs = []
for p in sorted(glob.glob(avro_dir + "/*.avro")):
    with open(p, "rb") as f:
        recs += list(avro.datafile.DataFileReader(f, avro.io.DatumReader()))
assert len(got) == len(recs), (len(got), len(recs))
assert got["country"].map(lambda c: c is None or isinstance(c, str) or c != c).all(), \
    "country is not plain: %r" % got["country"][:3].tolist()
upd = pd.to_datetime(got["updated"], utc=True)
lines = [json.loads(l) for l in open(gs_file)]
for i, r in enumerate(recs):
    assert upd[i].to_pydatetime() == r["updated"], (i, upd[i], r["updated"])
    assert datetime.date.fromisoformat(lines[i]["first_seen"]) == r["first_seen"]
    assert decimal.Decimal(lines[i]["revenue"]) == r["revenue"], i
    assert lines[i]["country"] == r["country"], i
print("  %d rows, %d columns, the same table: %s" % (len(got), got.shape[1],
      ", ".join("%s %s" % (c, t) for c, t in got.dtypes.items())))
PYEOF
}
check_pandas "$G/data.jsonl" || fail "pandas: data.jsonl is not the export's table"
check_pandas "$G/data.avro.json" >/dev/null 2>&1 &&
	fail "pandas: data.avro.json passed too (the test cannot tell the shapes apart)"
echo "  (data.avro.json, the old shape, differs as it should)"

step "jq: the same objects, line by line"
jq -S -c . "$G/data.jsonl" >"$W/jq_gs"
zcat "$G"/snow/*.json.gz | jq -S -c . >"$W/jq_snow"
jq -S -c . "$S/data.jsonl" >"$W/jq_view"
cmp "$W/jq_gs" "$W/jq_snow" || fail "jq: data.jsonl differs from the export: $(diff "$W/jq_gs" "$W/jq_snow" | head -n 4)"
cmp "$W/jq_gs" "$W/jq_view" || fail "jq: data.jsonl differs from the export version"
jq -S -c . "$G/data.avro.json" | cmp -s - "$W/jq_snow" && fail "jq: data.avro.json equals the export"
se=$(jq -r 'select(.country == "SE") | .artist_id' "$G/data.jsonl" | wc -l)
se_snow=$(zcat "$G"/snow/*.json.gz | jq -r 'select(.country == "SE") | .artist_id' | wc -l)
[ "$se" -gt 0 ] && [ "$se" -eq "$se_snow" ] || fail "jq: .country == \"SE\": $se rows, the export $se_snow"
jq -e '.updated | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")' \
	"$G/data.jsonl" >/dev/null || fail "jq: updated is not RFC 3339"
jq -e '.hash | test("^[A-Za-z0-9+/]{6}==$")' "$G/data.jsonl" >/dev/null || fail "jq: hash is not base64 of 4 bytes"
echo "  $(wc -l <"$W/jq_gs") objects identical; $se with country SE"

step "DuckDB: the same schema and rows"
if ! "$LYB_SRC/scripts/duckdb.sh" install >"$W/duckdb.log" 2>&1; then
	echo "SKIP: DuckDB (@duckdb/node-api from npm) is not available: $(tail -n 2 "$W/duckdb.log")"
	exit 77
fi
NODE_PATH=$("$LYB_SRC/scripts/duckdb.sh" path)
export NODE_PATH
# duck FILE: prints FILE's schema, exits 0 when it is the export's table
duck() {
	node - "$1" "$G/snow" "$S/data.jsonl" <<'JSEOF'
const { DuckDBInstance } = require("@duckdb/node-api");
const [file, snowDir, snowView] = process.argv.slice(2);
(async () => {
	const db = await DuckDBInstance.create(":memory:");
	const con = await db.connect();
	const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();
	const q = (p) => "read_json_auto('" + p.replace(/'/g, "''") + "')";
	const schema = async (p) => (await rows("DESCRIBE SELECT * FROM " + q(p)))
		.map((r) => r.column_name + " " + r.column_type).sort();
	const mine = await schema(file);
	console.log("  " + mine.join(", "));
	let ok = true;
	for (const other of [snowDir + "/*.json.gz", snowView]) {
		const theirs = await schema(other);
		if (mine.join("|") !== theirs.join("|")) {
			console.log("  schema differs from " + other + ": " + theirs.join(", "));
			ok = false;
			continue;
		}
		const cols = mine.map((c) => '"' + c.split(" ")[0] + '"').join(", ");
		for (const [a, b] of [[file, other], [other, file]]) {
			const n = await rows("SELECT count(*)::INTEGER AS n FROM (SELECT " + cols +
				" FROM " + q(a) + " EXCEPT ALL SELECT " + cols + " FROM " + q(b) + ")");
			if (n[0].n !== 0) {
				console.log("  " + n[0].n + " rows of " + a + " are not in " + b);
				ok = false;
			}
		}
	}
	const types = Object.fromEntries(mine.map((c) => [c.split(" ")[0], c.slice(c.indexOf(" ") + 1)]));
	if (types.country !== "VARCHAR" || types.first_seen !== "DATE" ||
	    !/^TIMESTAMP/.test(types.updated)) {
		console.log("  not the types people expect: " + JSON.stringify(types));
		ok = false;
	}
	process.exit(ok ? 0 : 1);
})().catch((e) => { console.log("  " + e); process.exit(2); });
JSEOF
}
duck "$G/data.jsonl" || fail "DuckDB: data.jsonl is not the export's table"
duck "$G/data.avro.json" >/dev/null 2>&1 && fail "DuckDB: data.avro.json passed too"
echo "  (data.avro.json, the old shape, differs as it should)"

step "the mount stays healthy"
[ "$(cat "$MNT/.lyb/health")" = "ok" ] || fail "health: $(cat "$MNT/.lyb/health")"
echo PASS
