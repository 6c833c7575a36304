// SPDX-License-Identifier: Apache-2.0
//
// gcs-meta.js - the metadata half of the GCS JSON API for bench/bench-read.sh,
// as an nginx njs handler (js_content): object resources
// (GET /storage/v1/b/BUCKET/o/OBJECT) and listings
// (GET /storage/v1/b/BUCKET/o?prefix=P&delimiter=D). Media downloads are
// nginx's own static file serving; this only answers what lyb publish and
// rclone's gcs backend ask before they read.
//
// The objects and their metadata (size, generation, md5Hash, updated) come
// from an index JSON that the benchmark writes next to the bucket directory
// ($lyb_index): { "BUCKET": { "NAME": { ...resource fields... } } }. One page
// per listing: the benchmark's buckets hold a handful of objects.
import fs from 'fs';

function query(r) {
	const out = {};
	(r.variables.args || '').split('&').forEach((kv) => {
		if (!kv)
			return;
		const i = kv.indexOf('=');
		const k = i < 0 ? kv : kv.slice(0, i);
		const v = i < 0 ? '' : kv.slice(i + 1);
		out[decodeURIComponent(k.replace(/\+/g, ' '))] =
			decodeURIComponent(v.replace(/\+/g, ' '));
	});
	return out;
}

function answer(r, status, doc) {
	r.headersOut['Content-Type'] = 'application/json; charset=UTF-8';
	r.return(status, JSON.stringify(doc));
}

function notFound(r, what) {
	answer(r, 404, {error: {code: 404, message: what + ' not found'}});
}

function resource(r, bucket, name, m) {
	const o = {
		kind: 'storage#object',
		id: bucket + '/' + name + '/' + m.generation,
		bucket: bucket,
		name: name,
		mediaLink: 'http://' + r.headersIn.Host + '/download/storage/v1/b/' +
			bucket + '/o/' + encodeURIComponent(name) +
			'?generation=' + m.generation + '&alt=media',
	};
	return Object.assign(o, m);
}

function meta(r) {
	const m = r.uri.match(/^\/storage\/v1\/b\/([^/]+)\/o(?:\/(.+))?$/);
	if (!m)
		return notFound(r, r.uri);
	const index = JSON.parse(fs.readFileSync(r.variables.lyb_index));
	const bucket = m[1];
	const objs = index[bucket];
	if (!objs)
		return notFound(r, 'bucket ' + bucket);
	if (m[2] !== undefined) {
		if (!objs[m[2]])
			return notFound(r, m[2]);
		return answer(r, 200, resource(r, bucket, m[2], objs[m[2]]));
	}
	const q = query(r);
	const prefix = q.prefix || '';
	const delim = q.delimiter || '';
	const items = [];
	const prefixes = [];
	Object.keys(objs).sort().forEach((name) => {
		if (!name.startsWith(prefix))
			return;
		const rest = name.slice(prefix.length);
		const j = delim ? rest.indexOf(delim) : -1;
		if (j >= 0) {
			const p = prefix + rest.slice(0, j + delim.length);
			if (prefixes.indexOf(p) < 0)
				prefixes.push(p);
		} else {
			items.push(resource(r, bucket, name, objs[name]));
		}
	});
	const doc = {kind: 'storage#objects', items: items};
	if (prefixes.length)
		doc.prefixes = prefixes;
	return answer(r, 200, doc);
}

// x-goog-generation of a media response (js_set $lyb_gen), which GCS sends
// with every download and `lyb publish` needs when it reads a whole object
// (lyb_store_get: a page CRC sidecar already there). From the index, so
// only for the sidecars (names ending .lybcrc): every other download is
// a ranged read pinned to a generation the reader knows, and reading the
// index for each would be work the servers' CPUs do during a measurement.
function generation(r) {
	const m = r.uri.match(/^\/(?:media|download\/storage\/v1\/b)\/([^/]+)\/(?:o\/)?(.+)$/);
	if (!m || !m[2].endsWith('.lybcrc') || !r.variables.lyb_index)
		return '';
	try {
		const o = JSON.parse(fs.readFileSync(r.variables.lyb_index))[m[1]][m[2]];
		return o ? o.generation : '';
	} catch (e) {
		return '';
	}
}

// The media path with a network's shape (bench/bench-net.sh): each request
// waits, then is served by nginx's static file module at /media/BUCKET/OBJECT
// (internal, limit_rate per connection), on nginx rather than through a
// proxy, so the bytes never cross a user-space copy that would compete for
// the two CPUs with what is measured. The wait is the first-byte latency
// ($lyb_delay_ms) plus the time of the bytes nginx's limit_rate lets out
// unpaced. With sendfile, limit_rate paces each send after it is made (a
// send of N bytes delays the next by N / rate): the first send, up to
// sendfile_max_chunk ($lyb_burst), goes at once and the rest at the rate,
// so a range costs latency + bytes / rate in all, as on a link of that
// rate. Behind proxy_pass (the s3 path) nginx sends small buffers whose
// pacing rounds to 0 ms, and only the request's allowance (a second's
// worth from its start) holds them back: there the first $lyb_rate_bps
// bytes are unpaced. Measured on nginx 1.22: an 8 MiB range at 100m and
// 30 ms takes 110 ms, 1 MiB 40 ms (charging a second's worth on the
// media path made the 8 MiB range take 180 ms).
function delayMs(r, path, burst) {
	const lat = Number(r.variables.lyb_delay_ms);
	const rate = Number(r.variables.lyb_rate_bps);
	if (!rate)
		return lat;
	let size;
	try {
		size = fs.statSync(path).size;
	} catch (e) {
		return lat;
	}
	let n = size;
	const m = /^bytes=(\d*)-(\d*)$/.exec(r.headersIn.Range || '');
	if (m) {
		let a, b;
		if (m[1] === '') {
			a = Math.max(0, size - Number(m[2]));
			b = size - 1;
		} else {
			a = Number(m[1]);
			b = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
		}
		n = Math.max(0, b - a + 1);
	}
	return lat + 1000 * Math.min(n, burst) / rate;
}

function media(r) {
	const m = r.uri.match(/^\/download\/storage\/v1\/b\/([^/]+)\/o\/(.+)$/);
	if (!m)
		return notFound(r, r.uri);
	const to = '/media/' + m[1] + '/' + m[2];
	const ms = delayMs(r, r.variables.lyb_root + '/' + m[1] + '/' + m[2],
			   Number(r.variables.lyb_burst));
	setTimeout(() => r.internalRedirect(to), ms);
}

// The same for the S3 proxy in front of s3rver: /s3/URI after the wait.
function s3(r) {
	const to = '/s3' + r.uri + (r.variables.args ? '?' + r.variables.args : '');
	const ms = r.method === 'GET' ? delayMs(r, r.variables.lyb_root + r.uri,
						Number(r.variables.lyb_rate_bps))
				      : Number(r.variables.lyb_delay_ms);
	setTimeout(() => r.internalRedirect(to), ms);
}

export default {meta, media, s3, generation};
