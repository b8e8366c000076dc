// Federation suite: (1) inbound transaction processing: a remote server played by this process
// (its own ed25519 key, served key document, X-Matrix-signed requests) joins a room on a local
// server and sends it transactions of 50 signed message PDUs, one transaction in flight as a real
// sender does; PDUs per second include signature and hash checks, auth and persistence. (2)
// end-to-end delivery latency between two local servers: a user of A sends, a user of B long-polls
// /sync; p50/p99 from send to delivery. Both servers run the Worker bundle as `wrangler deploy` builds
// it under plain Miniflare, as lib/server.mjs does (wrangler dev would rebuild on every file another
// engineer saves), each on its own embedded Postgres, federating over loopback (FEDERATION_RESOLVE).
import { createServer } from 'node:http';
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Log, LogLevel, Miniflare } from 'miniflare';
import { tsImport } from 'tsx/esm/api';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { migrate, root } from '../lib/migrate.mjs';
import { startNeonRelay } from '../lib/neon-relay.mjs';
import { freePort, startPostgres } from '../lib/postgres.mjs';
import { newSigningKeyText } from '../lib/signing-key.mjs';
import { removeStaleDirs, stopChildrenAtExit } from './lib/cleanup.mjs';
import { childPids, cpuMs } from './lib/cpu.mjs';
import { buildBundle } from './lib/server.mjs';
import { api } from './lib/client.mjs';
import { registerUser } from './lib/users.mjs';

const PDUS_PER_TXN = 50;
const TRANSACTIONS = Number(process.env.BENCH_FED_TXNS ?? 20);
const LATENCY_SAMPLES = Number(process.env.BENCH_FED_SAMPLES ?? 100);
const FAKE_NAME = 'fake-remote.bench';
const enc = encodeURIComponent;

// The protocol core, in TypeScript, signs for the fake remote exactly as the server verifies.
const core = (m) => tsImport(path.join(root, 'src/matrix', m), import.meta.url);
const [signing, eventSigning, hashes, xMatrix, versions] = await Promise.all(['signing.ts', 'event-signing.ts', 'hashes.ts', 'x-matrix.ts', 'room-versions.ts'].map(core));

/** The remote server: answers key requests and accepts the local server's transactions. */
async function startFakeRemote() {
  const key = await signing.parseSigningKey(signing.generateSigningKeyText());
  const port = await freePort();
  const http = createServer(async (req, res) => {
    for await (const _ of req); // drain
    const send = (status, body) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (req.method === 'GET' && req.url === '/_matrix/key/v2/server') {
      const doc = { server_name: FAKE_NAME, verify_keys: { [key.keyId]: { key: key.publicKeyBase64 } }, old_verify_keys: {}, valid_until_ts: Date.now() + 24 * 3600_000 };
      return send(200, await signing.signJson(doc, FAKE_NAME, key));
    }
    if (req.method === 'PUT' && req.url.startsWith('/_matrix/federation/v1/send/')) return send(200, { pdus: {} });
    send(404, { errcode: 'M_UNRECOGNIZED', error: 'not in this benchmark' });
  });
  await new Promise((r) => http.listen(port, '127.0.0.1', r));

  /** An X-Matrix-signed request to a local server. */
  async function request(server, method, urlPath, body) {
    const signed = await signing.signJson(xMatrix.requestJson(method, urlPath, FAKE_NAME, server.serverName, body), FAKE_NAME, key);
    const authorization = xMatrix.formatXMatrix({ origin: FAKE_NAME, destination: server.serverName, key: key.keyId, sig: signed.signatures[FAKE_NAME][key.keyId] });
    const res = await fetch(`${server.baseUrl}${urlPath}`, {
      method,
      headers: { authorization, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const out = await res.json();
    if (!res.ok) throw new Error(`${method} ${urlPath}: ${res.status} ${JSON.stringify(out).slice(0, 300)}`);
    return out;
  }

  async function signEvent(event, version) {
    const signed = await eventSigning.hashAndSignEvent(event, version, FAKE_NAME, key);
    return { eventId: await hashes.computeEventId(signed, version), event: signed };
  }

  return { baseUrl: `http://127.0.0.1:${port}`, request, signEvent, stop: () => new Promise((r) => http.close(r)) };
}

/** One homeserver named `serverName` on 127.0.0.1:`port`: its own Postgres, relay and Miniflare. */
async function startServer({ dir, scriptPath, serverName, port, resolve, stops }) {
  const db = await startPostgres({ dir: path.join(dir, 'postgres'), persistent: false, durable: false });
  stops.push(() => db.stop());
  await migrate(db.url);
  const relay = await startNeonRelay();
  stops.push(() => relay.close());
  const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(root, 'wrangler.toml'));
  const before = childPids();
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    cf: false, // no request.cf download from the internet
    log: new Log(LogLevel.WARN),
    unsafeDirectSockets: [{ host: '127.0.0.1', port }],
    ...workerOptions,
    modules: true,
    scriptPath,
    modulesRoot: path.dirname(scriptPath),
    bindings: {
      ...workerOptions.bindings,
      DATABASE_URL: db.url,
      NEON_WS_PROXY: relay.address,
      SIGNING_KEY: newSigningKeyText(),
      SERVER_NAME: serverName,
      REGISTRATION: 'open',
      RATE_LIMITS: 'off',
      FEDERATION_RESOLVE: resolve,
    },
  });
  await mf.ready;
  stops.push(() => mf.dispose());
  const pid = [...childPids()].find((p) => !before.has(p)) ?? null;
  return { baseUrl: `http://127.0.0.1:${port}`, serverName, pid };
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];

/** PDUs per second of transactions of 50 messages from the fake remote into a room on `server`. */
async function inbound(server, remote) {
  const alice = await registerUser(server.baseUrl, `fed-owner-${Date.now().toString(36)}`);
  const { room_id: roomId } = await api(server.baseUrl, 'POST', '/createRoom', alice.accessToken, { preset: 'public_chat' });
  const bob = `@bob:${FAKE_NAME}`;
  const made = await remote.request(server, 'GET', `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(bob)}?${versions.SUPPORTED_ROOM_VERSIONS.map((v) => `ver=${v}`).join('&')}`);
  const version = versions.roomVersion(made.room_version);
  const join = await remote.signEvent({ ...made.event, origin: FAKE_NAME, origin_server_ts: Date.now() }, version);
  await remote.request(server, 'PUT', `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(join.eventId)}`, join.event);
  // A message is authorised by the power levels, bob's join and (before v12) the create event.
  const state = await api(server.baseUrl, 'GET', `/rooms/${enc(roomId)}/state`, alice.accessToken);
  const joinRules = state.find((e) => e.type === 'm.room.join_rules').event_id;
  const auth = [...join.event.auth_events.filter((id) => id !== joinRules), join.eventId];

  // Every PDU is signed before the clock starts: the figure is the server's work only.
  let prev = { id: join.eventId, depth: join.event.depth };
  const txns = [];
  for (let t = 0; t < TRANSACTIONS + 1; t++) {
    const pdus = [];
    for (let i = 0; i < PDUS_PER_TXN; i++) {
      const e = await remote.signEvent(
        {
          type: 'm.room.message',
          room_id: roomId,
          sender: bob,
          origin: FAKE_NAME,
          origin_server_ts: Date.now(),
          content: { msgtype: 'm.text', body: `bench ${t}.${i}` },
          depth: prev.depth + 1,
          prev_events: [prev.id],
          auth_events: auth,
        },
        version,
      );
      pdus.push(e.event);
      prev = { id: e.eventId, depth: prev.depth + 1 };
    }
    txns.push(pdus);
  }
  const sendTxn = async (pdus, n) => {
    const r = await remote.request(server, 'PUT', `/_matrix/federation/v1/send/bench-${Date.now()}-${n}`, { origin: FAKE_NAME, origin_server_ts: Date.now(), pdus, edus: [] });
    const errors = Object.values(r.pdus).filter((x) => x.error);
    if (errors.length || Object.keys(r.pdus).length !== pdus.length) throw new Error(`transaction ${n}: ${errors.length} errors, ${Object.keys(r.pdus).length} results: ${JSON.stringify(errors[0])}`);
  };
  await sendTxn(txns[0], 0); // warm: the remote's key is fetched and cached here
  const times = [];
  const cpu0 = cpuMs(server.pid);
  const started = performance.now();
  for (let t = 1; t < txns.length; t++) {
    const t0 = performance.now();
    await sendTxn(txns[t], t);
    times.push(performance.now() - t0);
  }
  const total = performance.now() - started;
  times.sort((a, b) => a - b);
  const cpu = cpu0 === null ? null : cpuMs(server.pid) - cpu0;
  return { cpuMs: cpu, pdus: TRANSACTIONS * PDUS_PER_TXN, ms: total, p50: pct(times, 50), p99: pct(times, 99), version: version.id };
}

/** Send-to-delivery times of messages from a user of A to a user of B who long-polls /sync on B. */
async function latency(a, b) {
  const alice = await registerUser(a.baseUrl, `fed-alice-${Date.now().toString(36)}`);
  const bob = await registerUser(b.baseUrl, `fed-bob-${Date.now().toString(36)}`);
  const { room_id: roomId } = await api(a.baseUrl, 'POST', '/createRoom', alice.accessToken, { preset: 'public_chat' });
  await api(b.baseUrl, 'POST', `/join/${enc(roomId)}?server_name=${enc(a.serverName)}`, bob.accessToken, {});
  let since = (await api(b.baseUrl, 'GET', '/sync?timeout=0', bob.accessToken)).next_batch;
  // Bob's server must be in A's list of servers of the room before the clock runs.
  for (let i = 0; i < 50; i++) {
    const members = await api(a.baseUrl, 'GET', `/rooms/${enc(roomId)}/joined_members`, alice.accessToken);
    if (members.joined[bob.userId]) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const filter = enc(JSON.stringify({ room: { timeline: { limit: 10 } }, presence: { types: [] }, account_data: { types: [] } }));
  const samples = [];
  for (let i = 0; i < LATENCY_SAMPLES + 3; i++) {
    const body = `ping ${i} ${Date.now()}`;
    // The long poll is parked first, as a waiting client's would be.
    let delivered;
    const waiting = (async () => {
      for (;;) {
        const s = await api(b.baseUrl, 'GET', `/sync?since=${enc(since)}&timeout=30000&filter=${filter}`, bob.accessToken);
        since = s.next_batch;
        if ((s.rooms?.join?.[roomId]?.timeline?.events ?? []).some((e) => e.content?.body === body)) return (delivered = performance.now());
      }
    })();
    await new Promise((r) => setTimeout(r, 20));
    const sent = performance.now();
    await api(a.baseUrl, 'PUT', `/rooms/${enc(roomId)}/send/m.room.message/lat${i}`, alice.accessToken, { msgtype: 'm.text', body });
    await waiting;
    if (i >= 3) samples.push(delivered - sent); // the first few warm the path
  }
  samples.sort((x, y) => x - y);
  return { n: samples.length, p50: pct(samples, 50), p90: pct(samples, 90), p99: pct(samples, 99), max: samples[samples.length - 1], slow: samples.filter((x) => x > 1000).length };
}

export async function run() {
  const parent = path.join(root, '.data');
  removeStaleDirs(parent, 'bench-fed');
  const dir = path.join(parent, `bench-fed-${process.pid}`);
  const disarm = stopChildrenAtExit(dir);
  const stops = [];
  try {
    mkdirSync(dir, { recursive: true });
    const remote = await startFakeRemote();
    stops.push(() => remote.stop());
    const [portA, portB] = [await freePort(), await freePort()];
    const names = { a: 'a.bench', b: 'b.bench' };
    const resolve = [`${names.a}=http://127.0.0.1:${portA}`, `${names.b}=http://127.0.0.1:${portB}`, `${FAKE_NAME}=${remote.baseUrl}`].join(',');
    const scriptPath = await buildBundle(path.join(dir, 'dist'));
    const a = await startServer({ dir: path.join(dir, 'a'), scriptPath, serverName: names.a, port: portA, resolve, stops });
    const b = await startServer({ dir: path.join(dir, 'b'), scriptPath, serverName: names.b, port: portB, resolve, stops });
    const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
    const inb = await inbound(a, remote);
    const loadAfterInbound = load();
    const lat = await latency(a, b);
    const loadAfterLatency = load();
    const cpu = inb.cpuMs === null ? '' : `, ${(inb.cpuMs / inb.pdus).toFixed(1)} ms workerd cpu per PDU`;
    console.log('\n== federation: inbound transactions, delivery latency (Miniflare, two servers)');
    console.log(
      `   inbound: ${inb.pdus} PDUs in ${TRANSACTIONS} transactions of ${PDUS_PER_TXN} (room v${inb.version}), one in flight: ` +
        `${((inb.pdus / inb.ms) * 1000).toFixed(0)} PDUs/s${cpu}; per transaction p50 ${inb.p50.toFixed(0)} ms, p99 ${inb.p99.toFixed(0)} ms (load ${loadAfterInbound})`,
    );
    console.log(
      `   A → B delivery, send to long-poll wake-up, ${lat.n} messages: p50 ${lat.p50.toFixed(0)} ms, p90 ${lat.p90.toFixed(0)} ms, p99 ${lat.p99.toFixed(0)} ms, ` +
        `max ${lat.max.toFixed(0)} ms, ${lat.slow} over 1 s (load ${loadAfterLatency})`,
    );
    return { rows: [], targets: [] };
  } finally {
    for (const stop of stops.reverse()) await stop().catch((e) => console.error(`[bench] stop: ${e.message}`));
    disarm();
    rmSync(dir, { recursive: true, force: true });
  }
}
