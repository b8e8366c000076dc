// Benchmark of the protocol core (src/matrix): run with `node --import tsx scripts/bench/core.ts`.
// Plain console output; figures go in the issue note, not into assertions.

import nacl from 'tweetnacl';
import { selectAuthEvents } from '../../src/matrix/auth-events';
import { decodeBase64 } from '../../src/matrix/base64';
import { canonicalJson, canonicalJsonBytes } from '../../src/matrix/canonical-json';
import { hashAndSignEvent, verifyEventSignature } from '../../src/matrix/event-signing';
import { computeEventId } from '../../src/matrix/hashes';
import { redactEvent } from '../../src/matrix/redaction';
import { roomVersion, type RoomVersion } from '../../src/matrix/room-versions';
import { parseSigningKey } from '../../src/matrix/signing';
import { resolveState } from '../../src/matrix/state-resolution/index';
import { stateKey, type StateMap } from '../../src/matrix/state-map';
import type { JsonObject, Pdu } from '../../src/matrix/types';

const SEED = 'YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1';

/** Runs `fn` repeatedly for about `ms` milliseconds; returns operations per second. */
async function opsPerSecond(fn: () => unknown | Promise<unknown>, ms = 1500): Promise<number> {
  for (let i = 0; i < 50; i++) await fn(); // warm-up
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 20; i++) await fn();
    n += 20;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 0 });
const line = (label: string, ops: number) =>
  console.log(`${label.padEnd(58)} ${fmt(ops).padStart(9)} ops/s  (${(1000 / ops).toFixed(3)} ms/op)`);

/** A typical message event of about 1 KB in canonical JSON (a formatted reply with mentions). */
function typicalEvent(): JsonObject {
  const H = 'Ab3xY9_kLm2Qw8eRt5uIo0pAs7dFg4hJk1lZx6cVb9n';
  return {
    type: 'm.room.message',
    room_id: `!${H}`,
    sender: '@alice.example:matrix.example.org',
    origin_server_ts: 1_725_000_000_000,
    depth: 4711,
    prev_events: [`$${H.slice(0, 42)}a`, `$${H.slice(0, 42)}b`],
    auth_events: [`$${H.slice(0, 42)}c`, `$${H.slice(0, 42)}d`, `$${H.slice(0, 42)}e`],
    content: {
      msgtype: 'm.text',
      body: '> <@bob:matrix.example.org> Still on for the release review tomorrow?\n\nYes, 10:00 UTC. Agenda and blockers are in the doc. @carol can you bring the load-test numbers?',
      format: 'org.matrix.custom.html',
      formatted_body:
        '<mx-reply><blockquote>In reply to @bob</blockquote></mx-reply>Yes, <b>10:00 UTC</b>. Agenda and blockers are in the doc. <a href="https://matrix.to/#/@carol:matrix.example.org">@carol</a> can you bring the load-test numbers?',
      'm.relates_to': { 'm.in_reply_to': { event_id: `$${H}` } },
      'm.mentions': { user_ids: ['@bob:matrix.example.org', '@carol:matrix.example.org'] },
    },
    unsigned: { age_ts: 1_725_000_000_000 },
  };
}

async function benchSigning(version: RoomVersion) {
  const key = await parseSigningKey(`ed25519 1 ${SEED}`);
  const event = typicalEvent();
  const signed = await hashAndSignEvent(event, version, 'matrix.example.org', key);
  const { unsigned: _unsigned, ...bare } = event;
  console.log(
    `\nEvent: m.room.message, ${canonicalJsonBytes(bare).length} bytes of canonical JSON before hashing/signing, ` +
      `${canonicalJsonBytes(signed).length} after (room v${version.id})`,
  );

  line('canonical JSON of the event', await opsPerSecond(() => canonicalJson(event)));
  line('content hash + redact + sign + event id (WebCrypto)', await opsPerSecond(async () => {
    const s = await hashAndSignEvent(event, version, 'matrix.example.org', key);
    await computeEventId(s, version);
  }));

  const sigText = signed.signatures['matrix.example.org'][key.keyId];
  const { signatures: _s, unsigned: _u, ...redacted } = redactEvent(signed, version);
  const message = canonicalJsonBytes(redacted);
  const sig = decodeBase64(sigText);
  line('verify event signature (redact + canonical JSON + WebCrypto)', await opsPerSecond(() =>
    verifyEventSignature(signed, version, 'matrix.example.org', key.keyId, key.publicKey),
  ));
  const cryptoKey = await crypto.subtle.importKey('raw', key.publicKey, { name: 'Ed25519' }, false, ['verify']);
  line('verify raw ed25519 signature, WebCrypto', await opsPerSecond(() => crypto.subtle.verify({ name: 'Ed25519' }, cryptoKey, sig, message)));
  line('verify raw ed25519 signature, tweetnacl (for comparison)', await opsPerSecond(() => nacl.sign.detached.verify(message, sig, key.publicKey), 3000));
  const secret = nacl.sign.keyPair.fromSeed(key.seed).secretKey;
  line('sign raw, WebCrypto', await opsPerSecond(() => crypto.subtle.sign({ name: 'Ed25519' }, key.privateKey, message)));
  line('sign raw, tweetnacl (for comparison)', await opsPerSecond(() => nacl.sign.detached(message, secret), 3000));
}

/**
 * A room with a shared base, then two forks of `n` state events each (member joins, topics,
 * custom state, power level edits), merged by one state resolution.
 */
function buildForks(version: RoomVersion, n: number) {
  const events = new Map<string, Pdu>();
  const stateAfter = new Map<string, StateMap>();
  let counter = 0;
  const roomId = version.roomIdFormat === 'create-event' ? '!CREATE' : '!room:example.com';
  const admin = '@admin:example.com';

  function add(id: string, prev: string | undefined, e: { type: string; sender: string; stateKey?: string; content: JsonObject }) {
    const before: StateMap = prev ? new Map(stateAfter.get(prev)!) : new Map();
    const pdu: JsonObject = {
      type: e.type,
      sender: e.sender,
      content: e.content,
      origin_server_ts: ++counter,
      depth: counter,
      hashes: { sha256: 'x' },
      signatures: {},
      prev_events: prev ? [prev] : [],
    };
    if (!(version.roomIdFormat === 'create-event' && e.type === 'm.room.create')) pdu.room_id = roomId;
    if (e.stateKey !== undefined) pdu.state_key = e.stateKey;
    pdu.auth_events = selectAuthEvents(version, pdu as unknown as Pdu, (t, s) => before.get(stateKey(t, s)));
    events.set(id, pdu as unknown as Pdu);
    if (e.stateKey !== undefined) before.set(stateKey(e.type, e.stateKey), id);
    stateAfter.set(id, before);
    return id;
  }

  const createContent: JsonObject = version.implicitRoomCreator ? {} : { creator: admin };
  let last = add('$CREATE', undefined, { type: 'm.room.create', sender: admin, stateKey: '', content: createContent });
  last = add('$JOIN', last, { type: 'm.room.member', sender: admin, stateKey: admin, content: { membership: 'join' } });
  const users: JsonObject = version.roomCreators ? { '@mod:example.com': 50 } : { [admin]: 100, '@mod:example.com': 50 };
  last = add('$PL', last, { type: 'm.room.power_levels', sender: admin, stateKey: '', content: { users } });
  last = add('$JR', last, { type: 'm.room.join_rules', sender: admin, stateKey: '', content: { join_rule: 'public' } });
  last = add('$MOD', last, { type: 'm.room.member', sender: '@mod:example.com', stateKey: '@mod:example.com', content: { membership: 'join' } });
  const base = last;

  function fork(tag: string) {
    let prev = base;
    for (let i = 0; i < n; i++) {
      const id = `$${tag}${i}`;
      const kind = i % 10;
      if (kind < 7) {
        const user = `@${tag.toLowerCase()}${i}:example.com`;
        prev = add(id, prev, { type: 'm.room.member', sender: user, stateKey: user, content: { membership: 'join', displayname: `User ${i}` } });
      } else if (kind === 7) {
        prev = add(id, prev, { type: 'm.room.topic', sender: admin, stateKey: '', content: { topic: `${tag} topic ${i}` } });
      } else if (kind === 8) {
        prev = add(id, prev, { type: 'org.example.setting', sender: admin, stateKey: `${tag}-${i}`, content: { value: i } });
      } else {
        const levels = { ...users, [`@${tag.toLowerCase()}0:example.com`]: i % 50 };
        prev = add(id, prev, { type: 'm.room.power_levels', sender: i % 20 === 9 ? '@mod:example.com' : admin, stateKey: '', content: { users: levels } });
      }
    }
    return prev;
  }
  const a = fork('A');
  const b = fork('B');
  return { events, stateSets: [stateAfter.get(a)!, stateAfter.get(b)!] };
}

async function benchStateRes(versionId: string, n: number) {
  const version = roomVersion(versionId);
  const { events, stateSets } = buildForks(version, n);
  const input = { stateSets, events };
  resolveState(version, input); // warm-up
  const runs = 10;
  const times: number[] = [];
  let size = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    size = resolveState(version, input).size;
    times.push(performance.now() - t);
  }
  times.sort((x, y) => x - y);
  console.log(
    `${`state resolution, room v${versionId}, two forks of ${n} state events`.padEnd(58)} median ${times[runs >> 1].toFixed(1)} ms, min ${times[0].toFixed(1)} ms (${size} keys resolved)`,
  );
}

console.log(`Myelin protocol core benchmark — Node ${process.version}, ${process.platform}/${process.arch}`);
await benchSigning(roomVersion('12'));
console.log('');
for (const rv of ['10', '12', '1']) await benchStateRes(rv, 500);
