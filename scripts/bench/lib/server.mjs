// The benchmark target: the Worker bundle exactly as `wrangler deploy` builds it, served by plain
// Miniflare (wrangler dev logs every request and costs 3-10x more CPU per request), on an embedded
// Postgres reached through the Neon relay; and a hello-world Worker under the same runner, the baseline
// the targets are relative to. Everything listens on 127.0.0.1 and lives in .data/bench-<pid>.
import { execFile, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Log, LogLevel, Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { migrate, root } from '../../lib/migrate.mjs';
import { startPostgres } from '../../lib/postgres.mjs';
import { newSigningKeyText } from '../../lib/signing-key.mjs';
import { removeStaleDirs, stopChildrenAtExit } from './cleanup.mjs';
import { childPids } from './cpu.mjs';

const SERVER_NAME = 'bench.local';
const HELLO_WORLD = 'export default { fetch: () => new Response("hello") };';
// The least a request routed through a Durable Object costs: one RPC to an object (one per
// connection, as each user has theirs) that returns a small constant, answered as JSON.
const ONE_OBJECT_CALL = `import { DurableObject } from 'cloudflare:workers';
export class Echo extends DurableObject { ping(n) { return { next_batch: 's1_2_3', n }; } }
export default {
  async fetch(request, env) {
    const stub = env.ECHO.get(env.ECHO.idFromName(request.headers.get('x-object') ?? ''));
    return Response.json(await stub.ping(1));
  },
};`;

/** The Worker bundle exactly as `wrangler deploy` builds it, in `outdir`; returns the script's path. */
export async function buildBundle(outdir) {
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true' }; // no banner: no update check over the network
  await promisify(execFile)(path.join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', outdir], { cwd: root, env });
  return path.join(outdir, 'index.js');
}

/**
 * Starts a Miniflare and finds its workerd process (the one child that appeared), for CPU accounting.
 * Requests go to a direct socket on the Worker: Miniflare's own entry worker, which otherwise handles
 * every request first, costs about 0.2 ms of CPU each (measured), more than a hello-world Worker
 * itself, and would flatten every ratio to the baseline. On Cloudflare nothing runs in front of it.
 */
async function serve(options) {
  const before = childPids();
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    cf: false, // otherwise Miniflare downloads request.cf data from the internet
    log: new Log(LogLevel.WARN),
    unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
    ...options,
  });
  await mf.ready;
  const url = (await mf.unsafeGetDirectURL()).toString().replace(/\/$/, '');
  const pid = [...childPids()].find((p) => !before.has(p)) ?? null;
  return { mf, url, pid };
}

/** The relay in a child process (relay-process.mjs): its address, and how to stop it. */
async function startRelayProcess() {
  const child = fork(path.join(path.dirname(fileURLToPath(import.meta.url)), 'relay-process.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const { address } = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    child.once('exit', (code) => reject(new Error(`the relay exited (${code})`)));
  });
  return {
    address,
    close: () => new Promise((done) => {
      child.once('exit', () => done());
      child.disconnect();
    }),
  };
}

export async function startBenchServer() {
  removeStaleDirs(path.join(root, '.data'), 'bench');
  const dir = path.join(root, '.data', `bench-${process.pid}`);
  const stops = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch((e) => console.error(`[bench] stop: ${e.message}`));
    stops.length = 0;
  };
  try {
    mkdirSync(dir, { recursive: true });
    stops.push(async () => rmSync(dir, { recursive: true, force: true }));
    const disarm = stopChildrenAtExit(dir);
    stops.push(async () => disarm());
    const scriptPath = await buildBundle(path.join(dir, 'dist'));
    const db = await startPostgres({ dir: path.join(dir, 'postgres'), persistent: false, durable: false });
    stops.push(() => db.stop());
    await migrate(db.url);
    const relay = await startRelayProcess();
    stops.push(() => relay.close());

    // Bindings, Durable Objects (SQLite), R2 and compatibility settings as wrangler reads them from wrangler.toml.
    const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(root, 'wrangler.toml'));
    const { compatibilityDate, compatibilityFlags } = workerOptions;
    const myelin = await serve({
      ...workerOptions,
      modules: true,
      scriptPath,
      modulesRoot: path.dirname(scriptPath), // module names are relative to it; the default, the cwd, may not contain it
      bindings: {
        ...workerOptions.bindings,
        DATABASE_URL: db.url,
        NEON_WS_PROXY: relay.address,
        SIGNING_KEY: newSigningKeyText(),
        SERVER_NAME,
        REGISTRATION: 'open',
        RATE_LIMITS: 'off',
      },
      // BENCH_INSPECTOR_PORT: attach a profiler (Chrome DevTools protocol) to the Worker and its objects.
      ...(process.env.BENCH_INSPECTOR_PORT ? { inspectorPort: Number(process.env.BENCH_INSPECTOR_PORT) } : {}),
    });
    stops.push(() => myelin.mf.dispose());
    const hello = await serve({ modules: true, script: HELLO_WORLD, compatibilityDate, compatibilityFlags });
    stops.push(() => hello.mf.dispose());
    const floor = await serve({ modules: true, script: ONE_OBJECT_CALL, compatibilityDate, compatibilityFlags, durableObjects: { ECHO: 'Echo' } });
    stops.push(() => floor.mf.dispose());

    return { baseUrl: myelin.url, pid: myelin.pid, helloUrl: hello.url, helloPid: hello.pid, floorUrl: floor.url, floorPid: floor.pid, serverName: SERVER_NAME, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
