// Sliding sync suite (MSC4186, issue 8): 16 users, each in the same 200 rooms, sync through
// POST /_matrix/client/unstable/org.matrix.simplified_msc3575/sync with Element X's room list:
// one list, range [0, 19], timeline_limit 1, Element X's required_state.
//  - first response: a new connection each request (no pos), under 16 concurrent users;
//  - incremental, idle: each user follows its own pos with timeout=0 and nothing happens;
//  - incremental, live: the same while another user sends BENCH_SS_RATE messages a second
//    (default 10) into random rooms, so that responses carry the rooms that moved up;
//  - one client alone (no other load from this suite), BENCH_SS_SAMPLES times (default 30): a
//    first response, and an incremental response right after a message arrived in one room.
import { CONNECTIONS, measure } from './lib/load.mjs';
import { registerUser, registerUsers } from './lib/users.mjs';

const ROOMS = 200;
const PATH = '/_matrix/client/unstable/org.matrix.simplified_msc3575/sync';
/** matrix-rust-sdk's DEFAULT_REQUIRED_STATE for the room list. */
const REQUIRED_STATE = [
  ['m.room.name', ''],
  ['m.room.encryption', ''],
  ['m.room.member', '$LAZY'],
  ['m.room.member', '$ME'],
  ['m.room.topic', ''],
  ['m.room.avatar', ''],
  ['m.room.canonical_alias', ''],
  ['m.room.power_levels', ''],
  ['org.matrix.msc3401.call.member', '*'],
  ['m.room.join_rules', ''],
  ['m.room.tombstone', ''],
  ['m.room.create', ''],
  ['m.room.history_visibility', ''],
  ['io.element.functional_members', ''],
  ['m.space.parent', '*'],
  ['m.space.child', '*'],
  ['org.matrix.msc3672.beacon_info', '*'],
];
const BODY = JSON.stringify({
  conn_id: 'room-list',
  lists: { all_rooms: { ranges: [[0, 19]], required_state: REQUIRED_STATE, timeline_limit: 1, filters: {} } },
  extensions: { account_data: { enabled: true }, receipts: { enabled: true, rooms: ['*'] }, typing: { enabled: true } },
});

const FRESH_BODY = JSON.stringify({ ...JSON.parse(BODY), conn_id: 'fresh' });

function rate() {
  const n = Number(process.env.BENCH_SS_RATE ?? 10);
  if (!(n > 0)) throw new Error(`BENCH_SS_RATE must be a positive number of messages a second; got "${process.env.BENCH_SS_RATE}"`);
  return n;
}

function samples() {
  const n = Number(process.env.BENCH_SS_SAMPLES ?? 30);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`BENCH_SS_SAMPLES must be a positive integer; got "${process.env.BENCH_SS_SAMPLES}"`);
  return n;
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

/** A table row (lib/report.mjs) from latencies measured one request at a time. */
function sequentialRow(route, latencies) {
  const sorted = [...latencies].sort((a, b) => a - b);
  const total = latencies.reduce((a, b) => a + b, 0);
  return { route, requests: latencies.length, rps: (latencies.length * 1000) / total, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), cpuMsPerRequest: null, errors: 0, non2xx: 0, statuses: [] };
}

async function api(baseUrl, token, method, path, body) {
  const res = await fetch(`${baseUrl}/_matrix/client/v3${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function inBatches(items, size, fn) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function slidingSync(baseUrl, token, pos, body = BODY) {
  const res = await fetch(`${baseUrl}${PATH}?timeout=0${pos ? `&pos=${encodeURIComponent(pos)}` : ''}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
  const json = await res.json();
  if (!res.ok) throw new Error(`sliding sync: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Each autocannon client is one user following its own pos (kept across the warm-up and the run). */
function following(baseUrl, users, positions) {
  let next = 0;
  return (client) => {
    const i = next++ % users.length;
    const headers = { authorization: `Bearer ${users[i].accessToken}`, 'content-type': 'application/json' };
    client.requestIterator.setRequests([
      {
        method: 'POST',
        setupRequest: (req) => ({ ...req, path: `${PATH}?timeout=0&pos=${encodeURIComponent(positions[i])}`, headers, body: BODY }),
        onResponse: (status, body) => {
          if (status === 200) positions[i] = JSON.parse(body).pos;
        },
      },
    ]);
  };
}

export async function run({ server }) {
  const { baseUrl } = server;
  const owner = await registerUser(baseUrl, 'ss-owner');
  const users = await registerUsers(baseUrl, 'ss-user', CONNECTIONS);
  const rooms = [];
  await inBatches(
    Array.from({ length: ROOMS }, (_, i) => i),
    8,
    async (i) => rooms.push((await api(baseUrl, owner.accessToken, 'POST', '/createRoom', { preset: 'public_chat', name: `bench room ${i}` })).room_id),
  );
  for (const u of users) await inBatches(rooms, 8, (roomId) => api(baseUrl, u.accessToken, 'POST', `/join/${encodeURIComponent(roomId)}`, {}));
  const probe = await slidingSync(baseUrl, users[0].accessToken);
  const count = probe.lists.all_rooms.count;
  const sent = Object.keys(probe.rooms).length;
  if (count !== ROOMS || sent !== 20) throw new Error(`setup: expected ${ROOMS} rooms and a window of 20, got ${count} and ${sent}`);

  const auth = (u) => ({ authorization: `Bearer ${u.accessToken}`, 'content-type': 'application/json' });
  let nextUser = 0;
  const first = await measure(`first response (no pos), ${ROOMS} rooms, range 0-19, timeline_limit 1`, {
    url: `${baseUrl}${PATH}?timeout=0`,
    method: 'POST',
    pid: server.pid,
    setupClient: (client) => client.setHeadersAndBody(auth(users[nextUser++ % users.length]), BODY),
  });

  const positions = [];
  for (const u of users) positions.push((await slidingSync(baseUrl, u.accessToken)).pos);
  const idle = await measure('incremental (pos, timeout=0), nothing new', { url: `${baseUrl}${PATH}`, pid: server.pid, setupClient: following(baseUrl, users, positions) });

  const perSecond = rate();
  let sending = true;
  let messages = 0;
  const sender = (async () => {
    let txn = 0;
    while (sending) {
      const started = Date.now();
      const roomId = rooms[Math.floor(Math.random() * rooms.length)];
      await api(baseUrl, owner.accessToken, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/bench-${txn++}`, { msgtype: 'm.text', body: 'news' });
      messages++;
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 / perSecond - (Date.now() - started))));
    }
  })();
  const startedAt = Date.now();
  const live = await measure(`incremental (pos, timeout=0), ${perSecond} messages/s into the rooms`, { url: `${baseUrl}${PATH}`, pid: server.pid, setupClient: following(baseUrl, users, positions) });
  sending = false;
  await sender;
  const achieved = messages / ((Date.now() - startedAt) / 1000);

  // One client alone: what a single response costs without queueing behind 15 others.
  const alone = users[0];
  const firstAlone = [];
  const incrementalAlone = [];
  let pos = (await slidingSync(baseUrl, alone.accessToken)).pos;
  for (let i = 0; i < samples(); i++) {
    let t = performance.now();
    // Another conn_id: a request without pos starts its connection afresh.
    await slidingSync(baseUrl, alone.accessToken, undefined, FRESH_BODY);
    firstAlone.push(performance.now() - t);
    pos = (await slidingSync(baseUrl, alone.accessToken, pos)).pos;
    await api(baseUrl, owner.accessToken, 'PUT', `/rooms/${encodeURIComponent(rooms[i % rooms.length])}/send/m.room.message/alone-${i}`, { msgtype: 'm.text', body: 'news' });
    t = performance.now();
    const r = await slidingSync(baseUrl, alone.accessToken, pos);
    incrementalAlone.push(performance.now() - t);
    if (!r.rooms[rooms[i % rooms.length]]) throw new Error('the incremental response lacks the room that got a message');
    pos = r.pos;
  }
  const rows = [
    first,
    idle,
    live,
    sequentialRow('one client: first response (no pos)', firstAlone),
    sequentialRow('one client: incremental after a message', incrementalAlone),
  ];

  console.log('\n== sliding-sync');
  for (const row of rows) console.log(`   ${row.route}: p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, ${row.rps.toFixed(0)} req/s`);
  console.log(`   messages sent during the live run: ${achieved.toFixed(1)}/s (asked ${perSecond}/s)`);
  return { rows, targets: [] };
}
