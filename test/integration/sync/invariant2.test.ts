// Invariant 2 of the design (shared/DESIGN.md): under concurrent writes to many rooms, a client that
// follows next_batch sees every event of its rooms exactly once, in room order (the order of
// /messages). 20 rooms of 5 members drawn from 10 users; every user syncs in a loop while messages
// are sent concurrently, spread over the rooms and their members.
import { describe, expect, it } from 'vitest';
import type { TestUser } from '../helpers/client';
import { createRoom, join, send, timeline } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { storeFilter, syncRaw, users, type SyncBody } from './helpers';

const ROOMS = 20;
const USERS = 10;
const MEMBERS_PER_ROOM = 5;
/** The figure: about a minute on the 2-core machine. */
const MESSAGES = 2000;
/** Sends in flight at once. */
const CONCURRENCY = 10;
/** Large enough that no sync of this test is limited (each room gets MESSAGES / ROOMS messages). */
const TIMELINE_LIMIT = 400;
/** How long clients may take to catch up once every send is acknowledged. */
const DRAIN_MS = 60_000;

interface Client {
  user: TestUser;
  rooms: Set<string>;
  /** Event ids per room, in the order the syncs delivered them. */
  seen: Map<string, string[]>;
  seenIds: Set<string>;
  syncs: number;
  errors: string[];
  foreignRooms: Set<string>;
  limited: string[];
}

function record(c: Client, body: SyncBody): void {
  for (const [roomId, room] of Object.entries<any>(body.rooms?.join ?? {})) {
    if (!c.rooms.has(roomId)) c.foreignRooms.add(roomId);
    if (room.timeline?.limited && c.syncs > 0) c.limited.push(roomId);
    let list = c.seen.get(roomId);
    if (!list) c.seen.set(roomId, (list = []));
    for (const e of room.timeline?.events ?? []) {
      list.push(e.event_id);
      c.seenIds.add(e.event_id);
    }
  }
}

describe('invariant 2: sync never skips or repeats', () => {
  it(`${USERS} users in ${ROOMS} rooms see each of ${MESSAGES} concurrent messages exactly once, in room order`, { timeout: 600_000 }, async () => {
    const t0 = Date.now();
    const people = await users(USERS);
    const membersOf: TestUser[][] = Array.from({ length: ROOMS }, (_, r) => Array.from({ length: MEMBERS_PER_ROOM }, (_, k) => people[(r + k) % USERS]));
    const roomIds = await Promise.all(
      membersOf.map(async ([owner, ...rest]) => {
        const roomId = await createRoom(owner, { preset: 'public_chat' });
        for (const m of rest) expect((await join(m, roomId)).status).toBe(200);
        return roomId;
      }),
    );
    const clients: Client[] = people.map((user) => ({
      user,
      rooms: new Set(roomIds.filter((_, r) => membersOf[r].includes(user))),
      seen: new Map(),
      seenIds: new Set(),
      syncs: 0,
      errors: [],
      foreignRooms: new Set(),
      limited: [],
    }));
    const filters = await Promise.all(people.map((u) => storeFilter(u, { room: { timeline: { limit: TIMELINE_LIMIT } } })));
    const tSetup = Date.now();

    // Every client starts from an initial sync, then follows next_batch until it has everything.
    const sent = new Map<string, Set<string>>(roomIds.map((r) => [r, new Set()]));
    let sendingDone = false;
    let drainDeadline = Infinity;
    const hasAll = (c: Client) => [...c.rooms].every((r) => [...sent.get(r)!].every((id) => c.seenIds.has(id)));
    async function loop(c: Client, filter: string): Promise<void> {
      let since: string | undefined;
      while (Date.now() < drainDeadline) {
        const r = await syncRaw(c.user, { since, filter, timeout: since ? 5000 : 0, set_presence: 'offline' });
        if (r.status !== 200) {
          c.errors.push(`${r.status} ${JSON.stringify(r.body)}`);
          if (c.errors.length > 5) return;
          continue;
        }
        expectSpec('GET /_matrix/client/v3/sync', 200, r.body);
        record(c, r.body);
        c.syncs++;
        since = r.body.next_batch;
        if (sendingDone && hasAll(c)) return;
      }
    }
    const loops = clients.map((c, i) => loop(c, filters[i]));

    // Messages spread over rooms and their members, CONCURRENCY at a time.
    const failures: string[] = [];
    for (let start = 0; start < MESSAGES; start += CONCURRENCY) {
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, MESSAGES - start) }, async (_, k) => {
          const i = start + k;
          const r = i % ROOMS;
          const sender = membersOf[r][Math.floor(i / ROOMS) % MEMBERS_PER_ROOM];
          const res = await send(sender, roomIds[r], { msgtype: 'm.text', body: `invariant-${i}` });
          if (res.status === 200) sent.get(roomIds[r])!.add(res.body.event_id);
          else failures.push(`${res.status} ${JSON.stringify(res.body)}`);
        }),
      );
    }
    const tSent = Date.now();
    sendingDone = true;
    drainDeadline = Date.now() + DRAIN_MS;
    await Promise.all(loops);
    const tDrained = Date.now();

    expect(failures).toEqual([]);
    expect([...sent.values()].reduce((n, s) => n + s.size, 0)).toBe(MESSAGES);

    // Room order: the whole history of each room, as /messages pages it.
    const order = new Map<string, string[]>();
    for (let r = 0; r < ROOMS; r++) order.set(roomIds[r], (await timeline(membersOf[r][0], roomIds[r])).map((e) => e.event_id));

    for (const c of clients) {
      const who = c.user.userId;
      expect(c.errors, who).toEqual([]);
      expect([...c.foreignRooms], `${who} saw rooms it is not in`).toEqual([]);
      expect(c.limited, `${who} got a limited (gapped) incremental timeline`).toEqual([]);
      for (const roomId of c.rooms) {
        const seen = c.seen.get(roomId) ?? [];
        const firstAt = new Map<string, number>();
        const dupes = seen.filter((id, i) => (firstAt.has(id) ? true : (firstAt.set(id, i), false)));
        expect(dupes, `${who} saw events of ${roomId} twice`).toEqual([]);
        const seenHere = new Set(seen);
        const missing = [...sent.get(roomId)!].filter((id) => !seenHere.has(id));
        expect(missing, `${who} never saw ${missing.length} events of ${roomId}`).toEqual([]);
        // Everything of the room, from its creation, in the room's order.
        expect(seen, `${who}: events of ${roomId} out of room order`).toEqual(order.get(roomId));
      }
    }
    const syncs = clients.reduce((n, c) => n + c.syncs, 0);
    console.log(
      `[invariant2] ${MESSAGES} messages, ${ROOMS} rooms, ${USERS} users: setup ${tSetup - t0} ms, sending ${tSent - tSetup} ms ` +
        `(${Math.round((MESSAGES * 1000) / (tSent - tSetup))} msg/s), catch-up after the last send ${tDrained - tSent} ms, ${syncs} syncs, total ${tDrained - t0} ms`,
    );
  });
});
