// Global setup of the e2e project: two real homeservers, started the way `npm run dev` starts them
// (embedded Postgres, migrations, Neon relay, wrangler dev), on free ports with throwaway data
// directories, federating with each other through FEDERATION_RESOLVE (loopback only). Most tests
// use the first; the federation tests use both.
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
  const remotePort: number = await freePort();
  const dataDir = path.join(dataRoot, `e2e-${process.pid}`);
  const remoteDataDir = path.join(dataRoot, `e2e-${process.pid}-remote`);
  // A third server that federation tests start, stop and partition themselves: the first server
  // reaches it through a proxy the test controls.
  const sparePort: number = await freePort();
  const spareProxyPort: number = await freePort();
  const resolve = [
    `localhost:${port}=http://127.0.0.1:${port}`,
    `localhost:${remotePort}=http://127.0.0.1:${remotePort}`,
    `localhost:${sparePort}=http://127.0.0.1:${spareProxyPort}`,
  ].join(',');

  // On Ctrl-C or SIGTERM vitest exits at once without running teardowns, and nothing makes wrangler
  // or Postgres exit with us: signal them from an exit hook (synchronous). The next run removes the
  // data directory (removeStaleDirs), since Postgres may still be writing into it at that point.
  const disarmMain = stopChildrenAtExit(dataDir);
  const disarmRemote = stopChildrenAtExit(remoteDataDir);
  const disarm = () => {
    disarmMain();
    disarmRemote();
  };
  const onHangup = () => process.exit(129); // SIGHUP would end the process without running exit hooks
  process.once('SIGHUP', onHangup);
  const cleanUp = () => {
    disarm();
    process.off('SIGHUP', onHangup);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(remoteDataDir, { recursive: true, force: true });
  };

  // Open registration so that clients can sign up; no rate limits to trip over between tests.
  const vars = { REGISTRATION: 'open', RATE_LIMITS: 'off', FEDERATION_RESOLVE: resolve };
  const started = await Promise.allSettled([
    startLocalServer({ port, dataDir, ephemeral: true, quiet: true, vars: { ...vars, TURN_URIS: turn.uris.join(','), TURN_SHARED_SECRET: turn.secret } }),
    startLocalServer({ port: remotePort, dataDir: remoteDataDir, ephemeral: true, quiet: true, vars }),
  ]);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    for (const s of started) if (s.status === 'fulfilled') await s.value.stop();
    cleanUp(); // startLocalServer has stopped what it started
    throw (failed as PromiseRejectedResult).reason;
  }
  const [server, remote] = started.map((s) => (s as PromiseFulfilledResult<Awaited<ReturnType<typeof startLocalServer>>>).value);
  project.provide('homeserverUrl', server.baseUrl);
  project.provide('serverName', server.serverName);
  project.provide('remoteHomeserverUrl', remote.baseUrl);
  project.provide('remoteServerName', remote.serverName);
  project.provide('turn', turn);
  project.provide('spareServer', { port: sparePort, proxyPort: spareProxyPort, name: `localhost:${sparePort}` });

  return async () => {
    await Promise.all([server.stop(), remote.stop()]);
    cleanUp();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    homeserverUrl: string;
    serverName: string;
    remoteHomeserverUrl: string;
    remoteServerName: string;
    /** A server for tests to run themselves, reached from the first server through `proxyPort`. */
    spareServer: { port: number; proxyPort: number; name: string };
    turn: { uris: string[]; secret: string };
  }
}
