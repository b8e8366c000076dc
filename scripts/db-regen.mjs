// `npm run db:regen`: rebuilds migrations/ from the drizzle schema (one "init" migration, while
// the project is unreleased), then appends each hand-written SQL file of src/db/sql/ as a custom
// migration (what drizzle cannot express: extensions, text search configurations).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './lib/migrate.mjs';

const kit = path.join(root, 'node_modules/.bin/drizzle-kit');
const config = ['--config', path.join(root, 'scripts/drizzle.config.ts')];
const migrations = path.join(root, 'migrations');
rmSync(migrations, { recursive: true, force: true });
execFileSync(kit, ['generate', ...config, '--name', 'init'], { cwd: root, stdio: 'inherit' });
const sqlDir = path.join(root, 'src/db/sql');
for (const file of readdirSync(sqlDir).filter((f) => f.endsWith('.sql')).sort()) {
  const name = file.replace(/\.sql$/, '').replace(/[^a-z0-9_]/gi, '_');
  execFileSync(kit, ['generate', '--custom', ...config, '--name', name], { cwd: root, stdio: 'ignore' });
  const created = readdirSync(migrations).filter((f) => f.endsWith(`_${name}.sql`)).sort().pop();
  writeFileSync(path.join(migrations, created), readFileSync(path.join(sqlDir, file), 'utf8'));
  console.log(`custom migration ${created} from src/db/sql/${file}`);
}
