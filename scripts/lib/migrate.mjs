// Applies the drizzle-kit generated SQL in migrations/ with drizzle-orm's migrator.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate as drizzleMigrate } from 'drizzle-orm/node-postgres/migrator';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function migrate(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await drizzleMigrate(drizzle({ client }), { migrationsFolder: path.join(root, 'migrations') });
  } finally {
    await client.end();
  }
}
