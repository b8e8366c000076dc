// Rooms suite (issue 4): sending messages with 16 concurrent senders into one room (the RoomDO
// serialises them: group commit) and into 16 rooms, then the Worker's memory after many sends.
// Target: one room at >= 25% of hello-world req/s with p99 < 100 ms, no errors; RSS < 300 MB after
// BENCH_MEMORY_SENDS (default 100000) sends.
import autocannon from 'autocannon';
import { CONNECTIONS, measure } from './lib/load.mjs';
import { registerUsers } from './lib/users.mjs';
import { api, sharedRoom } from './lib/client.mjs';
import { rssMb } from './lib/rss.mjs';

const enc = encodeURIComponent;

/**
 * autocannon request options: each connection sends as its own user into its room, with a fresh
 * transaction id every time (a repeated one would be answered from the first, not sent again).
 */
/** Counts every send of the run: a transaction id is never used twice, whichever phase sends it. */
let sent = 0;

function senders(users, roomOf) {
  let nextConnection = 0;
  return {
    requests: [
      {
        method: 'PUT',
        setupRequest(req, context) {
          context.i ??= nextConnection++ % users.length;
          const u = users[context.i];
          return {
            ...req,
            path: `/_matrix/client/v3/rooms/${enc(roomOf(context.i))}/send/m.room.message/b${context.i}-${sent++}`,
            headers: { authorization: `Bearer ${u.accessToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ msgtype: 'm.text', body: 'bench message' }),
          };
        },
      },
    ],
  };
}

export async function run({ server, baseline }) {
  const users = await registerUsers(server.baseUrl, 'rooms', CONNECTIONS);
  const one = await sharedRoom(server.baseUrl, users[0], users.slice(1));
  const own = [];
  for (const u of users) own.push((await api(server.baseUrl, 'POST', '/createRoom', u.accessToken, { preset: 'private_chat' })).room_id);

  const oneRoom = await measure('PUT send, 16 senders, one room', { url: server.baseUrl, pid: server.pid, ...senders(users, () => one) });
  const manyRooms = await measure('PUT send, 16 senders, 16 rooms', { url: server.baseUrl, pid: server.pid, ...senders(users, (i) => own[i]) });

  // Memory: RSS sampled after each fifth of the sends, so that growth and a plateau can be told apart.
  const sends = Number(process.env.BENCH_MEMORY_SENDS ?? 100_000);
  const chunk = Math.ceil(sends / 5);
  const rss = [rssMb(server.pid)];
  const bulk = { total: 0, seconds: 0, errors: 0, non2xx: 0, latencies: [] };
  for (let done = 0; done < sends; done += chunk) {
    const part = await autocannon({ url: server.baseUrl, connections: CONNECTIONS, amount: Math.min(chunk, sends - done), ...senders(users, (i) => own[i % own.length]) });
    Object.assign(bulk, { total: bulk.total + part.requests.total, seconds: bulk.seconds + part.duration, errors: bulk.errors + part.errors, non2xx: bulk.non2xx + part.non2xx });
    bulk.latencies.push(part.latency);
    rss.push(rssMb(server.pid));
  }
  const last = rss[rss.length - 1];
  const mb = rss.map((x) => (x === null ? '?' : x.toFixed(0))).join(' → ');
  const memory = {
    route: `RSS every ${chunk} of ${sends} sends: ${mb} MB (target < 300 MB at the end: ${last !== null && last < 300 ? 'met' : 'MISSED'}; ${bulk.non2xx} non-2xx, ${bulk.errors} errors)`,
    requests: bulk.total,
    rps: bulk.total / bulk.seconds,
    p50: Math.max(...bulk.latencies.map((l) => l.p50)),
    p99: Math.max(...bulk.latencies.map((l) => l.p99)),
    cpuMsPerRequest: null,
    errors: bulk.errors,
    non2xx: bulk.non2xx,
  };
  return {
    rows: [oneRoom, manyRooms, memory],
    targets: [{ row: oneRoom, baseline, min: 0.25, maxP99: 100 }],
  };
}
