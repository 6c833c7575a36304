// SPDX-License-Identifier: Apache-2.0
// The portal in a real browser (t_portal_browser.sh): Debian's chromium,
// headless, driven by playwright-core. Three contexts, three identities:
// anonymous, the requester and an owner, each with its own proxy header
// (extraHTTPHeaders; the portal trusts 127.0.0.1 as its proxy).
//   node portal_browser.js MODULES BASE OUTDIR DATASET REQUESTER OWNER STRANGER
'use strict';
const [modules, base, out, ds, requester, owner, stranger] = process.argv.slice(2);
const { chromium } = require(modules + '/playwright-core');

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
	'--disable-background-networking', '--disable-component-update', '--disable-sync'];
let failed = 0;
function check(cond, what) {
	if (cond) { console.log('ok: ' + what); return; }
	console.log('FAIL: ' + what);
	failed++;
}

async function context(browser, who) {
	const ctx = await browser.newContext({
		viewport: { width: 1200, height: 900 },
		extraHTTPHeaders: who ? { 'X-Forwarded-Email': who } : {},
		// as a user who allowed it: navigator.clipboard answers at once
		permissions: ['clipboard-read', 'clipboard-write'],
	});
	const page = await ctx.newPage();
	page.on('dialog', d => { check(false, 'no dialog opens (an injected script ran: ' + d.message() + ')'); d.dismiss(); });
	page.on('pageerror', e => check(false, 'no script error: ' + e.message));
	return page;
}

async function text(page, sel) { return (await page.locator(sel).first().textContent()) || ''; }

(async () => {
	const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args });
	const dsUrl = base + '/d/' + ds;

	// anonymous: everything the story lists, read-only
	const anon = await context(browser, null);
	await anon.goto(dsUrl);
	await anon.waitForSelector('#lineage');
	check((await text(anon, '#name')) === ds, 'the DataSet name is the title');
	const desc = await text(anon, '#description');
	check(desc.includes('<img src=x onerror=alert(1)>'), 'the description is shown as text');
	check(await anon.locator('#description img').count() === 0, 'the description made no element');
	const ownerBox = await text(anon, '#owner');
	check(ownerBox.includes('group:lybpowners') && ownerBox.includes('#artist-metadata') && ownerBox.includes('@pat'),
		'owner: team, channel and PM');
	check((await text(anon, '#slo-text')) === 'updates daily by 08:00 UTC; late today', 'the delivery SLO: late today');
	const days = await anon.locator('#delivery [data-state]').evaluateAll(es => es.slice(0, 4).map(e => e.dataset.state));
	check(JSON.stringify(days) === '["late","missing","late","on-time"]', 'the delivery history: late, missing, late, on time');
	const schema = await text(anon, '#schema');
	check(schema.includes('artist_id') && schema.includes('dominant_genres') && schema.includes('genres, most played first'),
		'the schema with a description per column');
	check(await anon.locator('#schema b').count() === 0, 'a column doc made no element');
	check((await text(anon, '#disclaimer')).includes('readable by its readers'), 'the access disclaimer');
	check((await text(anon, '#access-state')).includes('lyb access request ' + ds), 'how to request, signed out');
	check(await anon.locator('#request-access').count() === 0, 'no request button when signed out');
	check((await text(anon, '#rows')) === '800', 'the row counter');
	check(await anon.locator('.copy-kind').count() === 0, 'no locations of copies signed out (they are the readers\')');
	check((await anon.inputValue('#copy-uri')) === 'lyb://' + ds, 'the lyb:// URI to copy');
	check((await anon.inputValue('#copy-path')).endsWith('/' + ds), 'the mount path to copy');
	check((await anon.inputValue('#copy-head')) === 'lyb head -n 10 ' + ds, 'the lyb head command to copy');
	// 'Copied' shows for 1.5 s once the clipboard answered: an observer
	// notes it, however late this script looks
	await anon.evaluate(() => {
		const b = document.querySelector('button[data-copy=copy-uri]');
		window.lybCopied = false;
		new MutationObserver(() => { if (b.textContent === 'Copied') window.lybCopied = true; })
			.observe(b, { childList: true, characterData: true, subtree: true });
	});
	await anon.click('button[data-copy=copy-uri]');
	// polled from here: waitForFunction's polling evaluates a string in
	// the page, which the portal's CSP (script-src 'self') refuses
	let copied = false;
	for (let i = 0; i < 100 && !copied; i++) {
		copied = await anon.evaluate(() => window.lybCopied === true);
		if (!copied)
			await anon.waitForTimeout(100);
	}
	if (!copied) // why, for the log
		console.log('copy button: ' + await anon.evaluate(() => JSON.stringify({
			text: document.querySelector('button[data-copy=copy-uri]').textContent, focus: document.hasFocus(),
			secure: window.isSecureContext })));
	check(copied, 'a copy button copies');
	check(await anon.locator('#delivery [data-state]').count() === 14, 'the delivery history of 14 days');
	check(await anon.locator('#dates tr[data-date]').count() === 0 &&
		(await text(anon, '#dates')).includes('sign in to see the versions of ' + ds), 'no versions signed out: how to see them');
	check(await anon.locator('#lineage [data-node]').count() === 3, 'the lineage graph: up and down');
	await anon.screenshot({ path: out + '/portal-dataset-anonymous.png', fullPage: true });
	await anon.click('#latest');
	await anon.waitForSelector('#error');
	check((await text(anon, '#error')).includes('sign in to see the versions'), 'no version page signed out');
	check(await anon.locator('#record').count() === 0, 'and no version record');

	// home: search by column name, recently published
	await anon.goto(base + '/');
	await anon.waitForSelector('#recent');
	check(await anon.locator('#recent a.dsname').count() >= 1, 'recently published DataSets');
	await anon.fill('#q', 'dominant_genres');
	await anon.press('#q', 'Enter');
	await anon.waitForURL(/q=dominant_genres/);
	await anon.waitForSelector('#results');
	check((await text(anon, '#total')).startsWith('1 DataSet'), 'search by column name finds one');
	check((await text(anon, '#results a.dsname')) === ds, 'and it is the DataSet');
	await anon.screenshot({ path: out + '/portal-home.png' });

	// the requester asks
	const alice = await context(browser, requester);
	await alice.goto(dsUrl);
	await alice.waitForSelector('#access-state');
	check((await text(alice, '#access-state')).includes('no access'), 'the requester has no access');
	check((await text(alice, '#dates')).includes('Access denied. User ' + requester + ' does not have read access to DataSet ' + ds +
		'. Request it with: lyb access request ' + ds), 'no versions before access: the mount\'s words');
	await alice.fill('#reason', 'genre study <script>alert(2)</script>');
	await alice.click('#request-access');
	await alice.waitForSelector('#access-state [data-state=pending]');
	check((await text(alice, '#access-state')).includes('genre study <script>alert(2)</script>'), 'pending, with the reason as text');
	await alice.screenshot({ path: out + '/portal-requested.png', fullPage: true });

	// an owner grants from the inbox
	const bob = await context(browser, owner);
	await bob.goto(base + '/inbox');
	await bob.waitForSelector('#inbox');
	const row = bob.locator('#inbox tr[data-principal="user:' + requester + '"]');
	check(await row.count() === 1, 'the owner sees the request in the inbox');
	check(((await row.textContent()) || '').includes('<script>alert(2)</script>'), 'the reason shows as text to the owner');
	await bob.screenshot({ path: out + '/portal-inbox.png' });
	await row.locator('button.grant').click();
	await bob.waitForSelector('#inbox tr[data-principal="user:' + requester + '"]', { state: 'detached' });
	check(true, 'the granted request left the inbox');

	// the requester's page changes on the next load
	await alice.reload();
	await alice.waitForSelector('#access-state [data-state]');
	check(await alice.locator('#access-state [data-state=granted]').count() === 1, 'the requester now has access');
	check((await text(alice, '#readers')).includes('user:' + requester), 'and is listed as a reader');
	check(await alice.locator('#dates tr[data-date]').count() === 3 &&
		await alice.locator('#dates tr[data-date]').first().getAttribute('data-date') === '2020-09-03', 'the versions by date, newest first');
	check(await alice.locator('.copy-kind[data-kind=gs]').count() === 1 &&
		await alice.locator('.copy-kind[data-kind=snow]').count() === 1, 'the copies: GCS and Snowflake');
	await alice.screenshot({ path: out + '/portal-dataset.png', fullPage: true });
	await alice.setViewportSize({ width: 1000, height: 1100 });
	await alice.screenshot({ path: out + '/portal-readme.png' }); // docs/portal.png
	await alice.setViewportSize({ width: 1200, height: 900 });

	// the version page, for a reader
	await alice.click('#latest');
	await alice.waitForSelector('#record');
	check(await alice.locator('table.objects[data-kind=gs] tr').count() === 3, 'the version page lists its objects');
	await alice.screenshot({ path: out + '/portal-version.png', fullPage: true });

	// a third user asks and the owner declines from the DataSet page
	const carol = await context(browser, stranger);
	await carol.goto(dsUrl);
	await carol.waitForSelector('#request-access');
	await carol.fill('#reason', 'curious');
	await carol.click('#request-access');
	await carol.waitForSelector('#access-state [data-state=pending]');
	await bob.goto(dsUrl);
	const crow = bob.locator('#owner-requests tr[data-principal="user:' + stranger + '"]');
	await crow.waitFor();
	await crow.locator('button.decline').click();
	await bob.waitForSelector('#owner-requests tr[data-principal="user:' + stranger + '"]', { state: 'detached' });
	await carol.reload();
	await carol.waitForSelector('#access-state [data-state]');
	check(await carol.locator('#access-state [data-state=none]').count() === 1, 'a declined request leaves no access');

	// the owner's audit trail shows every step
	await bob.goto(dsUrl);
	await bob.waitForSelector('#audit');
	const audit = await text(bob, '#audit');
	check(audit.includes('request') && audit.includes('grant') && audit.includes('revoke'), 'the owner sees the audit trail');
	await browser.close();
	if (failed) { console.log(failed + ' checks failed'); process.exit(1); }
	console.log('all checks passed');
})().catch(e => { console.log('FAIL: ' + (e.stack || e)); process.exit(1); });
