// SPDX-License-Identifier: Apache-2.0
// gcs-emulator.js - runs the Firebase Storage emulator (a GCS JSON API
// server) from firebase-tools without its security-rules runtime, which
// needs Java and a jar downloaded on first use. Every request is allowed.
//   node gcs-emulator.js FIREBASE_TOOLS_DIR [PORT]
// Prints the port on stdout once serving; stops on SIGTERM/SIGINT and
// deletes its blobs (under $TMPDIR/firebase/storage).
//
// It also takes uploads the way Google's own clients send them (gcloud
// storage cp, the client libraries), which the emulator alone refuses:
//   - multipart/related bodies with bare LF line breaks, several headers
//     per part, a quoted boundary (it wanted CRLF and one Content-Type
//     line, and answered 400 "Missing content type");
//   - resumable uploads started at /resumable/upload/storage/v1/... (it
//     answered 501), and their start answered without a body (its "OK"
//     is not JSON);
//   - resumable uploads in chunks (Content-Range: bytes A-B/TOTAL, and
//     bytes */TOTAL asking how far it got): 308 with Range until the last
//     byte (it stored the first chunk as the whole object).
// And a ranged download reads only its range (the emulator read the
// whole object for each, so that reading an object in N ranges cost N
// times the object).
"use strict";
const net = require("net");
const path = require("path");

const lib = path.join(process.argv[2], "lib", "emulator");
const { StorageEmulator } = require(path.join(lib, "storage"));
const { StorageRulesIssues } = require(path.join(lib, "storage", "rules", "runtime"));
const { EmulatorRegistry } = require(path.join(lib, "registry"));
const server = require(path.join(lib, "storage", "server"));
const multipart = require(path.join(lib, "storage", "multipart"));
const shared = require(path.join(lib, "storage", "apis", "shared"));
const express = require(require.resolve("express", { paths: [process.argv[2]] }));

/*
 * A multipart/related upload (RFC 2046, as GCS takes it): the metadata
 * part and the media part, whatever the line breaks and part headers.
 * The emulator's parser calls it by the module's export.
 */
function parseUpload(contentType, body) {
	const m = /boundary=("([^"]+)"|'([^']+)'|([^;\s]+))/i.exec(contentType || "");
	if (!/^multipart\/related/i.test(contentType || "") || !m)
		throw new Error(`Bad content type. ${contentType}`);
	const delim = Buffer.from("--" + (m[2] || m[3] || m[4]));
	const parts = [];
	let at = body.indexOf(delim);
	while (at >= 0) {
		let start = at + delim.length;
		if (body.slice(start, start + 2).toString() === "--")
			break; /* the close delimiter */
		start += body[start] === 13 ? 2 : 1; /* CRLF or LF */
		const next = body.indexOf(delim, start);
		if (next < 0)
			throw new Error("Unterminated multipart body");
		/* the line break before a delimiter belongs to the delimiter */
		let end = next;
		if (body[end - 1] === 10)
			end -= body[end - 2] === 13 ? 2 : 1;
		const part = body.slice(start, end);
		const crlf = part.indexOf("\r\n\r\n"), lf = part.indexOf("\n\n");
		const split = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : [lf, 2];
		if (split[0] < 0)
			throw new Error("Failed to parse multipart part: no header end");
		const head = part.slice(0, split[0]).toString();
		const ct = head.split(/\r?\n/).find((l) => /^content-type:/i.test(l));
		parts.push({ contentType: ct ? ct.slice(13).trim() : "", data: part.slice(split[0] + split[1]) });
		at = next;
	}
	if (parts.length !== 2)
		throw new Error("Unexpected number of parts in request body");
	return { metadataRaw: parts[0].data.toString(), dataRaw: Buffer.from(parts[1].data) };
}
multipart.parseObjectUploadMultipartRequest = parseUpload;

function readBody(req) {
	return new Promise((resolve, reject) => {
		const bufs = [];
		req.on("data", (d) => bufs.push(d));
		req.on("end", () => resolve(Buffer.concat(bufs)));
		req.on("error", reject);
	});
}

/* In front of the emulator's app: the paths and chunks it lacks. */
function front(emu, inner) {
	const app = express();
	app.use((req, res, next) => {
		if (req.url.startsWith("/resumable/upload/"))
			req.url = req.url.slice("/resumable".length);
		/* a session starts with an empty answer, as GCS gives it (the
		 * emulator's "OK" is not the JSON gcloud then tries to read) */
		if (req.method === "POST" && req.path.startsWith("/upload/") &&
		    (req.query.uploadType || req.header("X-Goog-Upload-Protocol")) === "resumable")
			res.sendStatus = (code) => res.status(code).end();
		next();
	});
	app.put("/upload/storage/v1/b/:bucket/o", async (req, res, next) => {
		const id = req.query.upload_id, cr = req.header("content-range");
		const m = /^bytes (\*|(\d+)-(\d+))\/(\*|\d+)$/.exec(cr || "");
		if (!id || !m)
			return next(); /* one PUT of it all: the emulator's own */
		let upload;
		try {
			upload = emu.uploadService.getResumableUpload(id.toString());
		} catch (e) {
			return res.sendStatus(404);
		}
		const body = await readBody(req);
		const total = m[4] === "*" ? -1 : Number(m[4]);
		if (m[2] !== undefined && Number(m[2]) === upload.size &&
		    Number(m[3]) + 1 - Number(m[2]) === body.length &&
		    Number(m[3]) + 1 !== total) {
			emu.uploadService.continueResumableUpload(upload.id, body);
		} else if (upload.size + (m[2] === undefined ? 0 : body.length) === total &&
			   (m[2] === undefined || Number(m[2]) === upload.size)) {
			/* the last chunk, or a status query once all is there: the
			 * emulator's handler appends it and stores the object */
			req.body = body;
			req._body = true;
			return next();
		}
		if (upload.size > 0)
			res.set("Range", `bytes=0-${upload.size - 1}`);
		return res.status(308).end();
	});
	app.get(["/download/storage/v1/b/:bucket/o/:object", "/storage/v1/b/:bucket/o/:object"], (req, res, next) => {
		const layer = emu.adminStorageLayer;
		const { bucket, object } = req.params;
		if (req.query.alt !== "media" || !req.header("range"))
			return next();
		const md = layer.getMetadata(bucket, object);
		if (!md || md.contentEncoding === "gzip")
			return next(); /* the emulator's answer, as it was */
		const size = Number(md.size), r = req.range(size, { combine: true });
		if (!Array.isArray(r) || r.type !== "bytes" || r.length !== 1)
			return next();
		/* what sendFileBytes takes of the bytes: their length, a slice */
		const bytes = { byteLength: size, slice: (a, b) => layer.getBytes(bucket, object, b - a, a) };
		return shared.sendFileBytes(md, bytes, req, res);
	});
	app.use(inner);
	return app;
}
const createApp = server.createApp;
server.createApp = async (projectId, emu) => front(emu, await createApp(projectId, emu));

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.on("error", reject);
		s.listen(0, "127.0.0.1", () => {
			const port = s.address().port;
			s.close(() => resolve(port));
		});
	});
}

const allowAll = {
	verify: async () => ({ permitted: true, issues: new StorageRulesIssues() }),
	unload: () => {},
};

async function main() {
	const port = Number(process.argv[3]) || (await freePort());
	const emu = new StorageEmulator({
		projectId: "lyb-test",
		host: "127.0.0.1",
		port,
		auto_download: false,
		rules: { name: "allow-all", content: "" },
	});
	emu._rulesRuntime.start = async () => {};
	emu._rulesRuntime.stop = async () => {};
	emu._rulesManager = {
		start: async () => new StorageRulesIssues(),
		stop: async () => {},
		getRuleset: () => allowAll,
	};
	emu.createRulesManager = () => emu._rulesManager;
	await EmulatorRegistry.start(emu);
	process.stdout.write(`${port}\n`);
	let stopping = false;
	const stop = async () => {
		if (stopping)
			return;
		stopping = true;
		await EmulatorRegistry.stop(emu.getName()).catch(() => {});
		process.exit(0);
	};
	process.on("SIGTERM", stop);
	process.on("SIGINT", stop);
}

main().catch((e) => {
	process.stderr.write(`gcs-emulator: ${e && e.stack ? e.stack : e}\n`);
	process.exit(1);
});
