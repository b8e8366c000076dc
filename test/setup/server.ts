// Global setup of the e2e project: one real homeserver, started the way `npm run dev` starts it
// (embedded Postgres, migrations, Neon relay, wrangler dev), on a free port with a throwaway data directory.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
// @ts-expect-error plain ESM helper shared with `npm run dev`
import { freePort, startLocalServer } from '../../scripts/lib/local-server.mjs';
// @ts-expect-error plain ESM helper shared with the benchmarks
import { removeStaleDirs, stopChildrenAtExit } from '../../scripts/bench/lib/cleanup.mjs';

const dataRoot = fileURLToPath(new URL('../../.data', import.meta.url));
/** A TURN configuration, so that clients get credentials to check against the secret. */
const turn = { uris: ['turn:turn.e2e.test:3478?transport=udp', 'turns:turn.e2e.test:5349?transport=tcp'], secret: `e2e-turn-${process.pid}` };

export default async function setup(project: TestProject) {
  removeStaleDirs(dataRoot, 'e2e');
  const port: number = await freePort();
  const dataDir = path.join(dataRoot, `e2e-${process.pid}`);

  // On Ctrl-C or SIGTERM vitest exits at once without running teardowns, and nothing makes wrangler
  // or Postgres exit with us: signal them from an exit hook (synchronous). The next run removes the
  // data directory (removeStaleDirs), since Postgres may still be writing into it at that point.
  const disarm = stopChildrenAtExit(dataDir);
  const onHangup = () => process.exit(129); // SIGHUP would end the process without running exit hooks
  process.once('SIGHUP', onHangup);
  const cleanUp = () => {
    disarm();
    process.off('SIGHUP', onHangup);
    rmSync(dataDir, { recursive: true, force: true });
  };

  let server;
  try {
    // Open registration so that clients can sign up; no rate limits to trip over between tests.
    server = await startLocalServer({ port, dataDir, ephemeral: true, quiet: true, vars: { REGISTRATION: 'open', RATE_LIMITS: 'off', TURN_URIS: turn.uris.join(','), TURN_SHARED_SECRET: turn.secret } });
  } catch (e) {
    cleanUp(); // startLocalServer has stopped what it started
    throw e;
  }
  project.provide('homeserverUrl', server.baseUrl);
  project.provide('serverName', server.serverName);
  project.provide('turn', turn);

  return async () => {
    await server.stop();
    cleanUp();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    homeserverUrl: string;
    serverName: string;
    turn: { uris: string[]; secret: string };
  }
}
