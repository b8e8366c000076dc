// Sync suite (issue 5): incremental /sync with nothing new for 16 users (answered from the user's
// object memory: no database query), and the fan-out latency of one message to 32 users who each
// hold a long-poll. Targets: incremental sync >= 50% of hello-world req/s; fan-out p99 <= 100 ms.
import { CONNECTIONS, measure } from './lib/load.mjs';
import { registerUsers } from './lib/users.mjs';
import { api, sharedRoom } from './lib/client.mjs';

const ROUNDS = Number(process.env.BENCH_FANOUT_ROUNDS ?? 20);
const LISTENERS = 32;
const WARMUP_ROUNDS = 5;

async function syncOnce(baseUrl, token, since, timeout) {
  const qs = new URLSearchParams({ timeout: String(timeout), ...(since ? { since } : {}) });
  const res = await fetch(`${baseUrl}/_matrix/client/v3/sync?${qs}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`sync: ${res.status}`);
  return res.json();
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

export async function run({ server, baseline }) {
  const users = await registerUsers(server.baseUrl, 'sync', CONNECTIONS);
  await sharedRoom(server.baseUrl, users[0], users.slice(1));
  // Two passes: each user's first sync marks them online, which is news to the others; the
  // second pass takes tokens after all of that, so the measured syncs have nothing new.
  const since = [];
  for (const u of users) since.push((await syncOnce(server.baseUrl, u.accessToken, undefined, 0)).next_batch);
  for (const [i, u] of users.entries()) since[i] = (await syncOnce(server.baseUrl, u.accessToken, since[i], 0)).next_batch;
  const tokens = users.map((u, i) => ({ ...u, since: since[i] }));
  // Each connection syncs as its own user, with that user's since token in the query.
  let nextConnection = 0;
  const incremental = await measure('GET /sync (incremental, no news)', {
    url: server.baseUrl,
    pid: server.pid,
    requests: [
      {
        method: 'GET',
        setupRequest(req, context) {
          context.u ??= tokens[nextConnection++ % tokens.length];
          return { ...req, path: `/_matrix/client/v3/sync?timeout=0&since=${encodeURIComponent(context.u.since)}`, headers: { authorization: `Bearer ${context.u.accessToken}` } };
        },
      },
    ],
  });

  // Fan-out: 32 members wait on /sync; one sends; the round lasts until every member has it.
  const listeners = await registerUsers(server.baseUrl, 'fanout', LISTENERS);
  const roomId = await sharedRoom(server.baseUrl, listeners[0], listeners.slice(1));
  const next = [];
  for (const u of listeners) next.push((await syncOnce(server.baseUrl, u.accessToken, undefined, 0)).next_batch);
  // As the other routes' warm-up: first rounds are not counted. Each object's connection prepares
  // its statements on first use, and Postgres settles on a generic plan after five executions.
  const rounds = [];
  for (let r = -WARMUP_ROUNDS; r < ROUNDS; r++) {
    const polls = listeners.map(async (u, i) => {
      for (;;) {
        const s = await syncOnce(server.baseUrl, u.accessToken, next[i], 30_000);
        next[i] = s.next_batch;
        const events = s.rooms?.join?.[roomId]?.timeline?.events ?? [];
        if (events.some((e) => e.content?.round === r)) return performance.now();
      }
    });
    await new Promise((res) => setTimeout(res, 200)); // every poll parked
    const sent = performance.now();
    await api(server.baseUrl, 'PUT', `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/fanout-${r}-${Date.now()}`, listeners[0].accessToken, { msgtype: 'm.text', body: 'fan-out', round: r });
    const arrivals = await Promise.all(polls);
    if (r >= 0) rounds.push(Math.max(...arrivals) - sent);
  }
  rounds.sort((a, b) => a - b);
  const fanout = {
    route: `fan-out to ${LISTENERS} long-polls (${ROUNDS} rounds, time until all have it)`,
    requests: ROUNDS,
    rps: NaN,
    p50: percentile(rounds, 0.5),
    p99: percentile(rounds, 0.99),
    cpuMsPerRequest: null,
    errors: 0,
    non2xx: 0,
  };
  console.log(`   fan-out p50 ${fanout.p50.toFixed(1)} ms, p99 ${fanout.p99.toFixed(1)} ms (target p99 <= 100 ms) ${fanout.p99 <= 100 ? 'met' : 'MISSED'}`);
  return { rows: [incremental, fanout], targets: [{ row: incremental, baseline, min: 0.5 }] };
}
