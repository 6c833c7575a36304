// SPDX-License-Identifier: Apache-2.0
// The Lybrary portal's pages, drawn from the JSON API (docs/api.md).
// Everything other teams write (descriptions, schemas, reasons, names)
// reaches the page through textContent or attribute values set by the
// DOM, never through innerHTML: nothing here parses HTML.
'use strict';

const API = '/api/v1';
let ME = { authenticated: false };

// el('div', {class: 'x'}, 'text', child, ...): strings become text nodes
function el(tag, attrs, ...kids) {
	const e = document.createElement(tag);
	for (const [k, v] of Object.entries(attrs || {})) {
		if (v === null || v === undefined || v === false) continue;
		if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
		else e.setAttribute(k, v === true ? '' : String(v));
	}
	for (const k of kids.flat()) {
		if (k === null || k === undefined || k === false) continue;
		e.append(k instanceof Node ? k : document.createTextNode(String(k)));
	}
	return e;
}

const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs, text) {
	const e = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
	if (text !== undefined) e.textContent = text;
	return e;
}

function enc(s) { return encodeURIComponent(s); }
function dsPath(name) { return '/d/' + enc(name); }
function bytes(n) {
	if (n === undefined || n === null) return '?';
	const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0, v = n;
	while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
	return (i ? v.toFixed(1) : String(v)) + ' ' + u[i];
}
function num(n) { return n === undefined || n === null ? 'unknown' : Number(n).toLocaleString('en-US'); }

async function api(path) {
	const r = await fetch(API + path, { credentials: 'same-origin' });
	const body = await r.json().catch(() => ({}));
	if (!r.ok) throw new Error((body.error && body.error.message) || ('HTTP ' + r.status));
	return body;
}

async function post(path, body) {
	const r = await fetch(API + path, {
		method: 'POST', credentials: 'same-origin',
		headers: { 'Content-Type': 'application/json', 'X-Lyb-CSRF': ME.csrf || '' },
		body: JSON.stringify(body),
	});
	const out = await r.json().catch(() => ({}));
	if (!r.ok) throw new Error((out.error && out.error.message) || ('HTTP ' + r.status));
	return out;
}

function copyBox(label, value, id) {
	const input = el('input', { type: 'text', readonly: true, value, id, 'aria-label': label });
	const btn = el('button', { type: 'button', 'data-copy': id, onclick: async () => {
		input.select();
		try { await navigator.clipboard.writeText(value); } catch (e) { document.execCommand('copy'); }
		btn.textContent = 'Copied';
		setTimeout(() => { btn.textContent = 'Copy'; }, 1500);
	} }, 'Copy');
	return el('div', { class: 'copy' }, el('span', { class: 'muted' }, label), input, btn);
}

function badge(state, text) { return el('span', { class: 'badge ' + state, 'data-state': state }, text || state); }

function setMain(...kids) {
	const m = document.getElementById('main');
	m.replaceChildren(...kids);
}

function showError(e) { setMain(el('p', { class: 'error', id: 'error' }, String(e.message || e))); }

// --- the header ---

function drawWho() {
	const who = document.getElementById('who');
	if (ME.authenticated)
		who.replaceChildren(el('span', { id: 'me' }, ME.display), ' · ', el('a', { href: '/inbox', id: 'inbox-link' }, 'Inbox'));
	else
		who.replaceChildren(el('span', { id: 'me', class: 'muted' }, 'not signed in (read-only)'));
}

// --- home ---

function datasetItem(d) {
	return el('li', { class: 'card' },
		el('a', { href: dsPath(d.name), class: 'dsname' }, d.name), ' ',
		badge(d.status), ' ',
		el('span', { class: 'muted' }, d.owner.team || ''),
		el('div', {}, d.description || ''),
		d.latest ? el('div', { class: 'muted' }, 'latest ' + d.latest.date + ' / ' + d.latest.version + ', published ' + d.latest.published) : el('div', { class: 'muted' }, 'no versions yet'));
}

async function home(params) {
	const q = params.get('q') || '';
	const offset = Number(params.get('offset') || 0) || 0;
	document.getElementById('q').value = q;
	const [found, recent] = await Promise.all([
		api('/datasets?limit=50&offset=' + offset + (q ? '&q=' + enc(q) : '')),
		q ? null : api('/datasets?sort=recent&limit=8'),
	]);
	const kids = [];
	if (recent) {
		kids.push(el('h2', {}, 'Recently published'));
		kids.push(el('ul', { class: 'results', id: 'recent' }, recent.datasets.map(datasetItem)));
	}
	kids.push(el('h2', {}, q ? 'DataSets matching “' + q + '”' : 'All DataSets'));
	kids.push(el('p', { class: 'muted', id: 'total' }, found.total + ' DataSet' + (found.total === 1 ? '' : 's') +
		(found.total > 50 ? ', ' + (offset + 1) + '–' + Math.min(offset + 50, found.total) + ' shown' : '')));
	kids.push(el('ul', { class: 'results', id: 'results' }, found.datasets.map(datasetItem)));
	const nav = el('p', {});
	const link = (o, t) => el('a', { href: '/?' + new URLSearchParams(q ? { q, offset: o } : { offset: o }), id: t === 'Next' ? 'next' : 'prev' }, t);
	if (offset > 0) nav.append(link(Math.max(0, offset - 50), 'Previous'), ' ');
	if (offset + 50 < found.total) nav.append(link(offset + 50, 'Next'));
	kids.push(nav);
	setMain(...kids);
}

// --- one DataSet ---

function typeText(t) {
	if (typeof t === 'string') return t;
	if (Array.isArray(t)) return t.map(typeText).join(' | ');
	if (t && t.type === 'array') return 'array<' + typeText(t.items) + '>';
	if (t && t.type === 'map') return 'map<' + typeText(t.values) + '>';
	if (t && t.name) return t.type + ' ' + t.name;
	return JSON.stringify(t);
}

function schemaTable(schema) {
	if (!schema || !Array.isArray(schema.fields)) return el('p', { class: 'muted' }, 'No schema recorded.');
	return el('table', { id: 'schema' },
		el('tr', {}, el('th', {}, 'Column'), el('th', {}, 'Type'), el('th', {}, 'Description')),
		schema.fields.map(f => el('tr', {}, el('td', { class: 'mono' }, f.name), el('td', { class: 'mono' }, typeText(f.type)), el('td', {}, f.doc || ''))));
}

function sloText(card) {
	if (!card.slo) return 'No delivery SLO';
	const f = card.portal.freshness;
	let when = '';
	if (f.state === 'late') when = 'late today';
	else if (f.state === 'missing') when = 'missing today';
	else if (f.state === 'on-time') when = 'on time today';
	return 'updates ' + card.slo.frequency + ' by ' + card.slo.deadline + ' ' + card.slo.timezone + (when ? '; ' + when : '');
}

function lineageSvg(lin) {
	const levels = new Map();
	for (const n of lin.nodes) {
		if (!levels.has(n.level)) levels.set(n.level, []);
		levels.get(n.level).push(n);
	}
	const keys = [...levels.keys()].sort((a, b) => a - b);
	const W = 230, H = 40, GX = 60, GY = 14;
	const rows = Math.max(...[...levels.values()].map(v => v.length));
	const width = keys.length * (W + GX), height = rows * (H + GY) + GY;
	const pos = new Map();
	keys.forEach((k, i) => levels.get(k).forEach((n, j) => {
		const col = levels.get(k).length;
		const top = (height - col * (H + GY)) / 2 + GY / 2;
		pos.set(n.name, { x: i * (W + GX) + GX / 2, y: top + j * (H + GY) });
	}));
	const s = svg('svg', { class: 'lineage', id: 'lineage', width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img' });
	s.append(svg('title', {}, 'Lineage of ' + lin.dataset));
	for (const e of lin.edges) {
		const a = pos.get(e.from), b = pos.get(e.to);
		if (!a || !b) continue;
		s.append(svg('line', { x1: a.x + W, y1: a.y + H / 2, x2: b.x, y2: b.y + H / 2 }));
	}
	for (const n of lin.nodes) {
		const p = pos.get(n.name);
		const root = n.level === 0;
		const g = svg('a', { href: dsPath(n.name), 'data-node': n.name });
		g.append(svg('rect', { x: p.x, y: p.y, width: W, height: H, rx: 6, class: root ? 'root' : '' }));
		const label = n.name.length > 34 ? n.name.slice(0, 33) + '…' : n.name;
		g.append(svg('text', { x: p.x + 8, y: p.y + 16, class: root ? 'root' : '', 'font-size': 12 }, label));
		g.append(svg('text', { x: p.x + 8, y: p.y + 32, class: root ? 'root' : '', 'font-size': 10 }, n.exists ? (n.owner || '') : 'not in the catalog'));
		s.append(g);
	}
	return s;
}

function accessBox(card, reload) {
	const a = card.portal.access;
	const box = el('div', { class: 'card', id: 'access' });
	box.append(el('p', { id: 'disclaimer' },
		'Access: the data of this DataSet is readable by its readers, members of ' + card.owner.team +
		' and admins. Names and this page are public to everyone in the company.'));
	const st = el('p', { id: 'access-state' });
	if (a.state === 'anonymous') {
		st.append(badge('none', 'not signed in'), ' Sign in through the company proxy to request access, or run ', el('code', {}, a.request_command));
	} else if (a.state === 'granted') {
		st.append(badge('granted', 'access granted'), ' ', a.why || '');
	} else if (a.state === 'pending') {
		st.append(badge('pending', 'request pending'), ' since ' + a.since + (a.reason ? ' — reason: ' : ''), a.reason || '');
	} else {
		st.append(badge('none', 'no access'), ' You (' + a.user + ') cannot read the data yet.');
	}
	box.append(st);
	if (a.state === 'none') {
		const reason = el('textarea', { id: 'reason', maxlength: 4096, placeholder: 'Why do you need it? (shown to the owners)' });
		const msg = el('span', { class: 'error', id: 'request-error' });
		const btn = el('button', { type: 'button', class: 'primary', id: 'request-access', onclick: async () => {
			btn.disabled = true;
			try { await post('/datasets/' + enc(card.name) + '/access/request', { reason: reason.value }); await reload(); }
			catch (e) { msg.textContent = e.message; btn.disabled = false; }
		} }, 'Request access');
		box.append(el('label', { for: 'reason' }, 'Request access'), reason, el('p', {}, btn, ' ', msg));
	}
	if (a.can_manage) {
		box.append(el('h3', {}, 'Pending requests (you may grant)'));
		box.append(requestsTable((a.requests || []).map(r => Object.assign({ dataset: card.name }, r)), reload, 'owner-requests'));
	}
	return box;
}

function requestsTable(reqs, reload, id) {
	if (!reqs.length) return el('p', { class: 'muted', id }, 'No pending requests.');
	return el('table', { id },
		el('tr', {}, el('th', {}, 'DataSet'), el('th', {}, 'Who'), el('th', {}, 'Since'), el('th', {}, 'Reason'), el('th', {}, '')),
		reqs.map(r => {
			const msg = el('span', { class: 'error' });
			const act = (verb) => async (ev) => {
				ev.target.disabled = true;
				try { await post('/datasets/' + enc(r.dataset) + '/access/' + verb, { principal: r.principal }); await reload(); }
				catch (e) { msg.textContent = e.message; ev.target.disabled = false; }
			};
			return el('tr', { 'data-principal': r.principal },
				el('td', {}, el('a', { href: dsPath(r.dataset) }, r.dataset)),
				el('td', { class: 'mono' }, r.principal), el('td', {}, r.since), el('td', {}, r.reason || ''),
				el('td', {}, el('button', { type: 'button', class: 'primary grant', onclick: act('grant') }, 'Grant'), ' ',
					el('button', { type: 'button', class: 'decline', onclick: act('revoke') }, 'Decline'), ' ', msg));
		}));
}

async function datesTable(name, offset) {
	const d = await api('/datasets/' + enc(name) + '/dates?limit=20&offset=' + offset);
	const wrap = el('div', { id: 'dates' });
	const t = el('table', {}, el('tr', {}, el('th', {}, 'Date'), el('th', {}, 'Version Count'), el('th', {}, 'Latest Version'), el('th', {}, 'Location')));
	for (const r of d.dates) {
		const locs = Object.entries(r.latest.locations || {}).map(([k, l]) => el('div', { class: 'mono' }, k + ': ' + (l.table || l.url)));
		const more = el('div', {});
		const btn = r.count > 1 ? el('button', { type: 'button', onclick: async () => {
			const v = await api('/datasets/' + enc(name) + '/dates/' + r.date + '?limit=100');
			more.replaceChildren(...v.versions.map(x => el('div', {}, el('a', { href: dsPath(name) + '/' + x.date + '/' + x.id, class: 'mono' }, x.id), ' published ' + x.published)));
			btn.remove();
		} }, 'all ' + r.count) : null;
		t.append(el('tr', { 'data-date': r.date }, el('td', {}, r.date), el('td', {}, String(r.count), ' ', btn, more),
			el('td', {}, el('a', { href: dsPath(name) + '/' + r.date + '/' + r.latest.id, class: 'mono' }, r.latest.id)), el('td', {}, locs)));
	}
	wrap.append(t);
	const nav = el('p', { class: 'muted' }, d.total + ' date' + (d.total === 1 ? '' : 's') + ' ');
	if (offset > 0) nav.append(el('button', { type: 'button', onclick: async () => wrap.replaceWith(await datesTable(name, Math.max(0, offset - 20))) }, 'Newer'), ' ');
	if (offset + 20 < d.total) nav.append(el('button', { type: 'button', onclick: async () => wrap.replaceWith(await datesTable(name, offset + 20)) }, 'Older'));
	wrap.append(nav);
	wrap.lybDates = d; // the page's copies come from it: one request, one audit line
	return wrap;
}

async function datasetPage(name) {
	const reload = () => datasetPage(name);
	const [card, lin] = await Promise.all([
		api('/datasets/' + enc(name)),
		api('/datasets/' + enc(name) + '/lineage?depth=2'),
	]);
	document.title = card.name + ' — Lybrary';
	const p = card.portal, l = card.latest;
	const kids = [];
	kids.push(el('h1', { id: 'name' }, card.name));
	kids.push(el('p', { id: 'description' }, card.description || ''));
	kids.push(el('div', { class: 'grid' },
		el('div', { class: 'card', id: 'owner' }, el('strong', {}, 'Owner'),
			el('div', {}, 'Team: ', el('span', { class: 'mono' }, card.owner.team || '')),
			el('div', {}, 'Channel: ', card.owner.channel || '—'),
			el('div', {}, 'PM: ', card.owner.pm || '—')),
		el('div', { class: 'card', id: 'slo' }, el('strong', {}, 'Delivery'),
			el('div', { id: 'slo-text' }, sloText(card)), el('div', { class: 'muted' }, p.freshness.summary)),
		el('div', { class: 'card', id: 'counters' }, el('strong', {}, 'Counters'),
			el('div', {}, 'Rows (latest): ', el('span', { id: 'rows' }, l ? num(l.rows) : '—')),
			el('div', {}, 'Size (latest): ', l ? bytes(l.bytes) : '—'),
			el('div', {}, num(card.dates) + ' dates, ' + num(card.versions) + ' versions'),
			el('div', {}, 'Latest: ', l ? el('a', { href: dsPath(card.name) + '/' + l.date + '/' + l.version, class: 'mono', id: 'latest' }, l.date + '/' + l.version) : 'none'))));
	kids.push(el('div', { class: 'card', id: 'paths' },
		copyBox('URI', card.uri, 'copy-uri'),
		copyBox('Mount path', p.mount_path, 'copy-path'),
		copyBox('First rows', p.head_command, 'copy-head')));
	kids.push(accessBox(card, reload));
	kids.push(el('h2', {}, 'Formats and copies'));
	const copies = el('div', { id: 'copies' }, el('p', {}, 'Format: ', el('span', { class: 'mono' }, card.format)));
	kids.push(copies);
	kids.push(el('h2', {}, 'Schema'));
	kids.push(schemaTable(card.schema));
	kids.push(el('h2', {}, 'Delivery history'));
	kids.push(p.delivery.length ? el('div', { class: 'days', id: 'delivery' }, p.delivery.map(d => el('span', { title: d.summary }, badge(d.state, d.expected + ' ' + d.state)))) : el('p', { class: 'muted', id: 'delivery' }, 'No SLO is checked for this DataSet.'));
	kids.push(el('h2', {}, 'Versions by date'));
	// the versions are for the DataSet's readers (the mount's rule): the
	// others get the API's words, which say how to ask
	let dates;
	try {
		dates = await datesTable(card.name, 0);
	} catch (e) {
		dates = el('p', { class: 'muted', id: 'dates' }, e.message);
	}
	kids.push(dates);
	const newest = dates.lybDates && dates.lybDates.dates[0];
	if (newest) {
		for (const [k, loc] of Object.entries(newest.latest.locations || {}))
			copies.append(el('div', { class: 'card copy-kind', 'data-kind': k }, el('strong', {}, k === 'gs' ? 'Google Cloud Storage' : k === 'snow' ? 'Snowflake' : k), ' ',
				el('span', { class: 'mono' }, loc.format + (loc.compression && loc.compression !== 'none' ? ' (' + loc.compression + ')' : '')),
				el('div', { class: 'mono' }, loc.table || loc.url), el('div', { class: 'muted' }, num(loc.object_count) + ' objects')));
	}
	kids.push(el('h2', {}, 'Lineage'));
	kids.push(lineageSvg(lin));
	kids.push(el('h2', {}, 'Readers'));
	kids.push(el('ul', { id: 'readers' }, card.readers.length ? card.readers.map(r => el('li', { class: 'mono' }, r)) : el('li', { class: 'muted' }, 'none besides the owner team and admins')));
	if (p.access.can_manage) {
		kids.push(el('h2', {}, 'Audit trail'));
		try {
			const a = await api('/datasets/' + enc(card.name) + '/audit');
			kids.push(el('table', { id: 'audit' }, el('tr', {}, el('th', {}, 'Time'), el('th', {}, 'Action'), el('th', {}, 'Whom'), el('th', {}, 'By'), el('th', {}, 'Reason')),
				a.history.slice().reverse().map(h => el('tr', {}, el('td', {}, h.time), el('td', {}, h.action), el('td', { class: 'mono' }, h.principal), el('td', { class: 'mono' }, h.by), el('td', {}, h.reason || '')))));
			kids.push(el('p', { class: 'muted' }, a.log_lines + ' audit log lines for this DataSet' + (a.log_readable ? '' : ' (the audit log is not readable here)')));
		} catch (e) { kids.push(el('p', { class: 'error' }, e.message)); }
	}
	setMain(...kids);
}

async function versionPage(name, date, id) {
	const v = await api('/datasets/' + enc(name) + '/versions/' + enc(date) + '/' + enc(id));
	document.title = name + ' ' + date + '/' + id + ' — Lybrary';
	const kids = [
		el('p', {}, el('a', { href: dsPath(name) }, '← ' + name)),
		el('h1', { id: 'name' }, name + ' ' + v.date + '/' + v.id),
		el('div', { class: 'card' },
			copyBox('URI', v.portal.uri, 'copy-uri'), copyBox('Mount path', v.portal.mount_path, 'copy-path')),
		el('table', { id: 'record' },
			[['Date', v.date], ['Version', v.id], ['Digest', v.digest], ['Published', v.published], ['Producer', v.producer || '—'],
				['Rows', num(v.rows)], ['Bytes', bytes(v.bytes)], ['Latest of its date', v.portal.latest_of_date ? 'yes' : 'no']]
				.map(([k, x]) => el('tr', {}, el('th', {}, k), el('td', { class: 'mono' }, x)))),
	];
	if (v.upstream) {
		kids.push(el('h2', {}, 'Computed from'));
		kids.push(el('ul', {}, v.upstream.map(u => el('li', {}, el('a', { href: dsPath(u.dataset) + '/' + u.date + '/' + u.version, class: 'mono' }, u.dataset + ' ' + u.date + '/' + u.version)))));
	}
	for (const [k, loc] of Object.entries(v.locations || {})) {
		kids.push(el('h2', {}, (k === 'gs' ? 'Google Cloud Storage' : 'Snowflake') + ' (' + k + ')'));
		kids.push(el('p', { class: 'mono' }, loc.table || '', loc.table ? ' ← ' : '', loc.url));
		kids.push(el('table', { class: 'objects', 'data-kind': k },
			el('tr', {}, el('th', {}, 'Object'), el('th', {}, 'Size'), el('th', {}, 'Rows'), el('th', {}, 'CRC32C'), el('th', {}, 'MD5')),
			(loc.objects || []).map(o => el('tr', {}, el('td', { class: 'mono' }, o.name), el('td', {}, bytes(o.size)), el('td', {}, num(o.rows)), el('td', { class: 'mono' }, o.crc32c || ''), el('td', { class: 'mono' }, o.md5 || '')))));
	}
	setMain(...kids);
}

async function inboxPage() {
	const reload = () => inboxPage();
	if (!ME.authenticated) { setMain(el('p', {}, 'Sign in through the company proxy to see your inbox.')); return; }
	const box = await api('/inbox');
	setMain(el('h1', {}, 'Access requests to decide'),
		el('p', { class: 'muted' }, box.total + ' pending request' + (box.total === 1 ? '' : 's') + ' on DataSets you own'),
		requestsTable(box.requests, reload, 'inbox'));
}

async function route() {
	const path = location.pathname;
	const params = new URLSearchParams(location.search);
	try { ME = await api('/me'); } catch (e) { ME = { authenticated: false }; }
	drawWho();
	try {
		if (path === '/' || path === '') return await home(params);
		if (path === '/inbox') return await inboxPage();
		const m = path.match(/^\/d\/([^/]+)(?:\/(\d{4}-\d{2}-\d{2})\/([0-9a-f]+))?\/?$/);
		if (m && m[2]) return await versionPage(decodeURIComponent(m[1]), m[2], m[3]);
		if (m) return await datasetPage(decodeURIComponent(m[1]));
		showError(new Error('No such page'));
	} catch (e) { showError(e); }
}

document.addEventListener('DOMContentLoaded', route);
