// Benchmark of the user-directory search query (src/db/queries/user-directory.ts), which decides at
// query time who may see whom from room_memberships and the rooms' current join rules. Run with
// `node --import tsx scripts/bench/user-directory.ts [users]` (default 100000): it starts its own
// embedded Postgres, seeds users in rooms (2 rooms each, ~20 members a room, 1 room in 10 public),
// and prints the median latency of searches that match few, many and all users.
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Db } from '../../src/db/client';
import * as schema from '../../src/db/schema';
import { directorySearchSql, searchDirectory } from '../../src/db/queries/user-directory';
import { sql } from 'drizzle-orm';
import { directoryQuery } from '../../src/services/directory/terms';
// @ts-expect-error plain ESM helpers shared with `npm run dev`
import { startPostgres } from '../lib/postgres.mjs';
// @ts-expect-error plain ESM helpers shared with `npm run dev`
import { migrate, root } from '../lib/migrate.mjs';

const USERS = Number(process.argv[2] ?? 100_000);
const ROOMS = Math.max(10, Math.round(USERS / 10));
const RUNS = 15;

const home = mkdtempSync(path.join(tmpdir(), 'myelin-bench-dir-'));
chmodSync(home, 0o755); // as root, Postgres runs as an unprivileged account that must reach its directory
const db0 = await startPostgres({ dir: path.join(home, 'pg'), persistent: false });
const client = new pg.Client({ connectionString: db0.url });
try {
  await migrate(db0.url);
  await client.connect();
  await client.query(readFileSync(path.join(root, 'src/db/sql/user_directory.sql'), 'utf8'));
  const t = performance.now();
  await seed();
  console.log(`seeded ${USERS} users, ${ROOMS} rooms in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const db = drizzle({ client, schema }) as unknown as Db;
  const searcher = '@u1:bench.local';
  const cases: [string, boolean][] = [
    ['u4242', false],
    ['first12 last', false],
    ['first1', false],
    ['first', false],
    ['bench', false],
    ['first', true],
  ];
  console.log('term                 all-local  matching  visible  median ms  p90 ms');
  for (const [term, allLocal] of cases) {
    const q = directoryQuery(term)!;
    if (process.env.EXPLAIN) {
      const plan = (await db.execute(sql`explain (analyze, buffers) ${directorySearchSql({ searcher, ...q, rows: 11, allLocal })}`)) as unknown as { rows: { 'QUERY PLAN': string }[] };
      console.log(`-- ${term}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
    }
    const run = () => searchDirectory(db, { searcher, ...q, rows: 11, allLocal });
    for (let i = 0; i < 3; i++) await run();
    const times: number[] = [];
    let visible = 0;
    for (let i = 0; i < RUNS; i++) {
      const s = performance.now();
      visible = (await run()).length;
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    const { rows } = await client.query(`select count(*)::int as n from user_directory where vector @@ to_tsquery('user_directory', $1)`, [q.prefix]);
    console.log(
      `${term.padEnd(20)} ${String(allLocal).padEnd(10)} ${String(rows[0].n).padStart(8)} ${String(visible).padStart(8)} ${times[RUNS >> 1].toFixed(1).padStart(10)} ${times[Math.floor(RUNS * 0.9)].toFixed(1).padStart(7)}`,
    );
  }
} finally {
  await client.end().catch(() => undefined);
  await db0.stop();
  rmSync(home, { recursive: true, force: true });
}

async function seed() {
  const name = (i: string) => `'First' || (${i} % 1000) || ' Last' || (${i} % 997)`;
  await client.query(`insert into users (user_id, created_ts, profile)
    select '@u' || i || ':bench.local', 0, jsonb_build_object('displayname', ${name('i')}) from generate_series(1, $1) i`, [USERS]);
  await client.query(`insert into user_directory (user_id, display_name, avatar_url, vector)
    select '@u' || i || ':bench.local', ${name('i')}, case when i % 3 = 0 then 'mxc://bench.local/a' end,
      setweight(to_tsvector('user_directory', 'u' || i), 'A') || setweight(to_tsvector('user_directory', lower(${name('i')})), 'B')
      || setweight(to_tsvector('user_directory', 'bench.local'), 'D')
    from generate_series(1, $1) i`, [USERS]);
  // Each room's join rule (public for one room in ten) and history visibility, as current state.
  await client.query(`insert into events (event_id, room_id, depth, type, state_key, sender, origin_server_ts, json)
    select '$' || k || j, '!r' || j || ':bench.local', 1, t, '', '@u1:bench.local', 0,
      json_build_object('type', t, 'content', case when k = 'j' then json_build_object('join_rule', case when j % 10 = 0 then 'public' else 'invite' end)
        else json_build_object('history_visibility', 'shared') end)::text
    from generate_series(0, $1 - 1) j, (values ('j', 'm.room.join_rules'), ('h', 'm.room.history_visibility')) v(k, t)`, [ROOMS]);
  await client.query(`insert into room_state (room_id, type, state_key, event_id) select room_id, type, '', event_id from events`);
  // Every user joined to two rooms; the searcher to 100 more.
  await client.query(`insert into room_memberships (room_id, user_id, membership, event_id, sender, stream_pos, local)
    select distinct on (r, u) r, u, 'join', '$m', u, 0, true from (
      select '!r' || (i % $2) || ':bench.local' r, '@u' || i || ':bench.local' u from generate_series(1, $1) i
      union all select '!r' || ((i * 7 + 3) % $2) || ':bench.local', '@u' || i || ':bench.local' from generate_series(1, $1) i
      union all select '!r' || j || ':bench.local', '@u1:bench.local' from generate_series(0, 99) j) m
    on conflict do nothing`, [USERS, ROOMS]);
  await client.query('analyze');
}
