// Server administration from the command line, against DATABASE_URL (production) or the local
// database in DATA_DIR (a running `npm run dev` or, if none, a temporary start of it).
//   npm run create-user -- --user alice [--password secret] [--admin]
//   npm run registration-token -- [--token abc] [--uses 5] [--days 7]
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline/promises';
import pg from 'pg';
import { root } from './lib/migrate.mjs';
import { startPostgres } from './lib/postgres.mjs';

const b64 = (buf) => buf.toString('base64').replace(/=+$/, '');
// Same format and cost as src/services/auth/passwords.ts, so the Worker can verify it.
function hashPassword(password) {
  const salt = randomBytes(16);
  const hash = pbkdf2Sync(password, salt, 100_000, 32, 'sha256');
  return `pbkdf2-sha256$100000$${b64(salt)}$${b64(hash)}`;
}

async function withDatabase(fn) {
  if (process.env.DATABASE_URL) {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try { return await fn(client); } finally { await client.end(); }
  }
  const dataDir = path.resolve(root, process.env.DATA_DIR || '.data');
  const urlFile = path.join(dataDir, 'database-url');
  const local = existsSync(urlFile) ? undefined : await startPostgres({ dir: path.join(dataDir, 'postgres') });
  const client = new pg.Client({ connectionString: local?.url ?? readFileSync(urlFile, 'utf8').trim() });
  await client.connect();
  try { return await fn(client); } finally { await client.end(); await local?.stop(); }
}

async function ask(question) {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try { return await rl.question(question); } finally { rl.close(); }
}

const [command, ...rest] = process.argv.slice(2);
const serverName = process.env.SERVER_NAME || `localhost:${process.env.PORT || 8787}`;

if (command === 'create-user') {
  const { values } = parseArgs({ args: rest, options: { user: { type: 'string' }, password: { type: 'string' }, admin: { type: 'boolean', default: false } } });
  const localpart = values.user ?? (await ask('Username: '));
  if (!/^[a-z0-9._=\-/+]+$/.test(localpart)) { console.error("A username may only contain a-z, 0-9 and '._=-/+'"); process.exit(2); }
  const password = values.password ?? (await ask('Password: '));
  if (!password) { console.error('A password is required'); process.exit(2); }
  const userId = `@${localpart}:${serverName}`;
  await withDatabase(async (db) => {
    const r = await db.query(
      `insert into users (user_id, password_hash, created_ts, admin, profile) values ($1, $2, $3, $4, $5) on conflict do nothing`,
      [userId, hashPassword(password), Date.now(), values.admin, JSON.stringify({ displayname: localpart })],
    );
    if (r.rowCount === 0) { console.error(`${userId} already exists`); process.exitCode = 1; return; }
    console.log(`created ${userId}${values.admin ? ' (server admin)' : ''}`);
  });
} else if (command === 'registration-token') {
  const { values } = parseArgs({ args: rest, options: { token: { type: 'string' }, uses: { type: 'string' }, days: { type: 'string' } } });
  const token = values.token ?? b64(randomBytes(12)).replace(/[+/]/g, '-');
  if (!/^[A-Za-z0-9._~-]{1,64}$/.test(token)) { console.error('A token is 1 to 64 characters of [A-Za-z0-9._~-]'); process.exit(2); }
  const expiry = values.days ? Date.now() + Number(values.days) * 86_400_000 : null;
  await withDatabase(async (db) => {
    await db.query(`insert into registration_tokens (token, uses_allowed, expiry_ts) values ($1, $2, $3)`, [token, values.uses ? Number(values.uses) : null, expiry]);
    console.log(token);
  });
} else {
  console.error('usage: node scripts/admin.mjs create-user|registration-token [options]');
  process.exit(2);
}
