// Global setup of the integration project (runs in Node before workerd starts): an embedded Postgres
// on a free port with the migrations applied, the Neon relay in front of it, and a signing key.
import type { TestProject } from 'vitest/node';
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
  const db = await startPostgres({ dir: path.resolve('.data', `test-postgres-${process.pid}`), persistent: false });
  await migrate(db.url);
  const relay = await startNeonRelay();
  project.provide('databaseUrl', db.url);
  project.provide('neonWsProxy', relay.address);
  project.provide('signingKey', newSigningKeyText());
  return async () => {
    await relay.close();
    await db.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    neonWsProxy: string;
    signingKey: string;
  }
}
