// SPDX-License-Identifier: Apache-2.0
// gcs-emulator.js - runs the Firebase Storage emulator (a GCS JSON API
// server) from firebase-tools without its security-rules runtime, which
// needs Java and a jar downloaded on first use. Every request is allowed.
//   node gcs-emulator.js FIREBASE_TOOLS_DIR [PORT]
// Prints the port on stdout once serving; stops on SIGTERM/SIGINT and
// deletes its blobs (under $TMPDIR/firebase/storage).
"use strict";
const net = require("net");
const path = require("path");

const lib = path.join(process.argv[2], "lib", "emulator");
const { StorageEmulator } = require(path.join(lib, "storage"));
const { StorageRulesIssues } = require(path.join(lib, "storage", "rules", "runtime"));
const { EmulatorRegistry } = require(path.join(lib, "registry"));

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
