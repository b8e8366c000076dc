// `npm run migrate`: applies migrations/ to DATABASE_URL (Neon in production), or, without it, to the
// local embedded database in DATA_DIR (default .data).
import path from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { migrate, root } from './lib/migrate.mjs';
import { startPostgres } from './lib/postgres.mjs';

const url = process.env.DATABASE_URL;
if (url) {
  await migrate(url);
  console.log('migrations applied');
} else {
  const dataDir = path.resolve(root, process.env.DATA_DIR || '.data');
  const running = path.join(dataDir, 'database-url');
  if (existsSync(running)) {
    await migrate(readFileSync(running, 'utf8').trim());
  } else {
    const db = await startPostgres({ dir: path.join(dataDir, 'postgres') });
    try {
      await migrate(db.url);
    } finally {
      await db.stop();
    }
  }
  console.log(`migrations applied to the local database in ${dataDir}`);
}
