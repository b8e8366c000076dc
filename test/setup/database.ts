// Global setup of the integration project (runs in Node before workerd starts): an embedded Postgres
// on a free port with the migrations applied, the Neon relay in front of it, and a signing key.
import type { TestProject } from 'vitest/node';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
// @ts-expect-error plain ESM helpers shared with `npm run dev`
import { startPostgres } from '../../scripts/lib/postgres.mjs';
// @ts-expect-error plain ESM helpers shared with `npm run dev`
import { startNeonRelay } from '../../scripts/lib/neon-relay.mjs';
// @ts-expect-error plain ESM helpers shared with `npm run dev`
import { migrate } from '../../scripts/lib/migrate.mjs';
// @ts-expect-error plain ESM helpers shared with `npm run dev`
import { newSigningKeyText } from '../../scripts/lib/signing-key.mjs';

export default async function setup(project: TestProject) {
  // Under the system temp directory: as root, Postgres runs as an unprivileged account that must be
  // able to reach its data directory, and a checkout may sit in a private directory.
  const home = mkdtempSync(path.join(tmpdir(), 'myelin-test-'));
  chmodSync(home, 0o755);
  const db = await startPostgres({ dir: path.join(home, 'postgres'), persistent: false });
  await migrate(db.url);
  const relay = await startNeonRelay();
  project.provide('databaseUrl', db.url);
  project.provide('neonWsProxy', relay.address);
  project.provide('signingKey', newSigningKeyText());
  return async () => {
    await relay.close();
    await db.stop();
    rmSync(home, { recursive: true, force: true });
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    neonWsProxy: string;
    signingKey: string;
  }
}
