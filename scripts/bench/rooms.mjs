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
function senders(users, roomOf) {
  let nextConnection = 0;
  let n = 0;
  return {
    requests: [
      {
        method: 'PUT',
        setupRequest(req, context) {
          context.i ??= nextConnection++ % users.length;
          const u = users[context.i];
          return {
            ...req,
            path: `/_matrix/client/v3/rooms/${enc(roomOf(context.i))}/send/m.room.message/b${context.i}-${n++}`,
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

  const sends = Number(process.env.BENCH_MEMORY_SENDS ?? 100_000);
  const before = rssMb(server.pid);
  const bulk = await autocannon({ url: server.baseUrl, connections: CONNECTIONS, amount: sends, ...senders(users, (i) => own[i % own.length]) });
  const after = rssMb(server.pid);
  const memory = {
    route: `RSS after ${sends} sends: ${before?.toFixed(0)} → ${after?.toFixed(0)} MB (${bulk.non2xx} non-2xx, ${bulk.errors} errors)`,
    requests: bulk.requests.total,
    rps: bulk.requests.total / bulk.duration,
    p50: bulk.latency.p50,
    p99: bulk.latency.p99,
    cpuMsPerRequest: null,
    errors: bulk.errors,
    non2xx: bulk.non2xx,
  };
  return {
    rows: [oneRoom, manyRooms, memory],
    targets: [{ row: oneRoom, baseline, min: 0.25, maxP99: 100 }],
  };
}
