// `npm run bench [-- <suite> ...]`: runs the benchmark suites (all by default) and prints their figures.
// Server suites share one benchmark server (lib/server.mjs) and one hello-world baseline measured in
// the same run, with the floor of a route through a Durable Object (one trivial call) beside it; `core` (scripts/bench/core.ts, when present) measures the protocol core in its own process.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONNECTIONS, measure, perConnection } from './lib/load.mjs';
import { printConditions, printSettings, printTable, printTargets } from './lib/report.mjs';
import { startBenchServer } from './lib/server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const coreScript = path.join(here, 'core.ts');

/** Suites that load the server: each module exports `run({ server, baseline }) → { rows, targets }`. */
const serverSuites = {
  accounts: () => import('./accounts.mjs'),
  federation: () => import('./federation.mjs'),
  keys: () => import('./keys.mjs'),
  media: () => import('./media.mjs'),
  'sliding-sync': () => import('./sliding-sync.mjs'),
  rooms: () => import('./rooms.mjs'),
  sync: () => import('./sync.mjs'),
};

const available = [...Object.keys(serverSuites), ...(existsSync(coreScript) ? ['core'] : [])];
const asked = process.argv.slice(2);
const unknown = asked.filter((s) => !available.includes(s));
if (unknown.length) {
  console.error(`unknown suite ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}

let server;
let core;

function runCore() {
  return new Promise((resolve, reject) => {
    core = spawn(process.execPath, ['--import', 'tsx', coreScript], { cwd: path.resolve(here, '../..'), stdio: 'inherit' });
    core.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`core suite exited with ${signal ?? code}`))));
  });
}

// Interrupted: exit, so that the exit hooks stop what runs (Miniflare's stops workerd, lib/server.mjs's
// Postgres). An asynchronous stop could not finish: Miniflare's signal handler exits the process at once.
// Prepended: importing wrangler installs handlers that exit with status 0, which would hide the interruption.
process.prependOnceListener('SIGINT', () => process.exit(130));
process.prependOnceListener('SIGTERM', () => process.exit(143));
process.on('exit', () => core?.kill('SIGTERM'));

printConditions('start');
printSettings();
try {
  let baseline;
  // What any route through a Durable Object costs at least, next to the baseline (printed in every table).
  let floor;
  for (const name of asked.length ? asked : available) {
    if (name === 'core') {
      console.log('\n== core');
      await runCore();
      continue;
    }
    if (!server) {
      server = await startBenchServer();
      baseline = await measure('hello-world (baseline)', { url: server.helloUrl, pid: server.helloPid });
      floor = await measure('one Durable Object call (floor)', {
        url: server.floorUrl,
        pid: server.floorPid,
        setupClient: perConnection(Array.from({ length: CONNECTIONS }, (_, i) => i), (i) => ({ headers: { 'x-object': `u${i}` } })),
      });
    }
    const suite = await serverSuites[name]();
    const { rows, targets } = await suite.run({ server, baseline });
    printTable(name, [baseline, floor, ...rows]);
    printTargets(targets, floor);
  }
} finally {
  await server?.stop();
}
printConditions('end');
