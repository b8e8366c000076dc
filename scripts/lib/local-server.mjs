// One local Myelin: embedded Postgres (data in DATA_DIR), migrations, the Neon relay, a signing key,
// and `wrangler dev`. Used by `npm run dev` and by the end-to-end tests.
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { migrate, root } from './migrate.mjs';
import { startNeonRelay } from './neon-relay.mjs';
import { startPostgres, freePort } from './postgres.mjs';
import { loadOrCreateSigningKey } from './signing-key.mjs';

export async function waitForHttp(url, { timeoutMs = 60_000, child } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) throw new Error(`server exited (${child.exitCode}) before answering ${url}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${url}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Starts everything; resolves once the homeserver answers. `vars` are extra Worker variables;
 * `wranglerArgs` go to wrangler dev as they are (e.g. `--local-protocol https`).
 */
export async function startLocalServer({
  port = 8787,
  serverName = `localhost:${port}`,
  dataDir = path.join(root, '.data'),
  vars = {},
  wranglerArgs = [],
  quiet = false,
  ephemeral = false,
} = {}) {
  dataDir = path.resolve(root, dataDir);
  mkdirSync(dataDir, { recursive: true });
  const db = await startPostgres({ dir: path.join(dataDir, 'postgres'), persistent: !ephemeral });
  const stops = [() => db.stop()];
  const stopAll = async () => {
    for (const s of stops.reverse()) await s().catch((e) => console.error(`[myelin] stop: ${e.message}`));
    stops.length = 0;
  };
  try {
    await migrate(db.url);
    const relay = await startNeonRelay();
    stops.push(() => relay.close());
    // Lets `npm run create-user` reach the database of a running dev server.
    const urlFile = path.join(dataDir, 'database-url');
    writeFileSync(urlFile, db.url + '\n');
    stops.push(async () => rmSync(urlFile, { force: true }));

    const allVars = {
      SERVER_NAME: serverName,
      DATABASE_URL: db.url,
      NEON_WS_PROXY: relay.address,
      SIGNING_KEY: loadOrCreateSigningKey(path.join(dataDir, 'signing.key')),
      ...vars,
    };
    const args = ['dev', '--ip', '127.0.0.1', '--port', String(port), '--persist-to', path.join(dataDir, 'wrangler'), '--show-interactive-dev-session=false'];
    for (const [k, v] of Object.entries(allVars)) if (v !== undefined) args.push('--var', `${k}:${v}`);
    if (quiet) args.push('--log-level', 'warn');
    // Each instance its own inspector port, so that several can run side by side.
    if (!wranglerArgs.some((a) => a.startsWith('--inspector-port'))) args.push('--inspector-port', String(await freePort()));
    args.push(...wranglerArgs);
    const child = spawn(path.join(root, 'node_modules/.bin/wrangler'), args, {
      cwd: root,
      stdio: quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
      // No banner: printing it makes wrangler ask the npm registry for updates on every start.
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
    });
    const exited = new Promise((r) => child.on('exit', r));
    stops.push(async () => {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    });
    const https = wranglerArgs.join(' ').includes('--local-protocol https') || wranglerArgs.includes('--local-protocol=https');
    const baseUrl = `http://127.0.0.1:${port}`;
    if (!https) await waitForHttp(`${baseUrl}/_matrix/client/versions`, { child });
    return { baseUrl, serverName, databaseUrl: db.url, child, exited, stop: stopAll };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

export { freePort };
