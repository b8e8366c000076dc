// What a room tells other servers (spec: server-server "Retrieving events", "Backfilling and
// retrieving missing events", "Joining Rooms"): only to servers with a member in the room, and
// never rejected events.
import type { PooledDb } from '../../db/client';
import { authChainIds, pdusOf, walkBack } from '../../db/queries/federated-events';
import { and, asc, desc, eq, gte, isNotNull, lte } from 'drizzle-orm';
import { getEvent, stateOfGroup } from '../../db/queries/rooms';
import { events } from '../../db/schema';
import { stateKey } from '../../matrix/state-map';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { serverNameOf } from '../../matrix/ids';
import { serverAllowedByAcl } from '../../matrix/server-acl';
import type { RoomModel } from './model';

export const notInRoom = () => new MatrixError(403, ErrCode.FORBIDDEN, 'Your server has no member in this room');

/** Every request of another server about a room passes the room's m.room.server_acl first. */
export function assertAllowedByAcl(model: RoomModel, origin: string): void {
  if (!serverAllowedByAcl(model.content('m.room.server_acl'), origin)) throw new MatrixError(403, ErrCode.FORBIDDEN, 'Server is banned by the room ACL');
}

/** A server may read a room's events when one of its users is in it and the ACL lets it. */
export function assertServerInRoom(model: RoomModel, origin: string): void {
  assertAllowedByAcl(model, origin);
  const present = [...model.members('join'), ...model.members('invite'), ...model.members('knock')].some((u) => serverNameOf(u) === origin);
  if (!present) throw notInRoom();
}

async function eventInRoom(db: PooledDb, model: RoomModel, eventId: string) {
  const e = await getEvent(db, eventId);
  if (!e || e.roomId !== model.roomId || e.rejected) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Event not found');
  return e;
}

/** State ids before an event (the event itself excluded) and their auth chain. */
export async function stateIdsAt(db: PooledDb, model: RoomModel, eventId: string): Promise<{ pdu_ids: string[]; auth_chain_ids: string[] }> {
  const e = await eventInRoom(db, model, eventId);
  if (e.outlier || e.stateGroup === null) throw new MatrixError(404, ErrCode.NOT_FOUND, 'No state is known at that event');
  // An event's group is the state after it: the state before it is that, minus its own entry.
  const state = await stateOfGroup(db, e.stateGroup);
  if (typeof e.pdu.state_key === 'string' && !e.rejected) {
    const key = stateKey(e.pdu.type, e.pdu.state_key);
    if (e.replacesState) state.set(key, e.replacesState);
    else state.delete(key);
  }
  const pduIds = [...state.values()];
  return { pdu_ids: pduIds, auth_chain_ids: await authChainIds(db, pduIds) };
}

export async function stateAt(db: PooledDb, model: RoomModel, eventId: string) {
  const ids = await stateIdsAt(db, model, eventId);
  return { pdus: await pdusOf(db, ids.pdu_ids), auth_chain: await pdusOf(db, ids.auth_chain_ids) };
}

export async function eventAuth(db: PooledDb, model: RoomModel, eventId: string) {
  await eventInRoom(db, model, eventId);
  return { auth_chain: await pdusOf(db, await authChainIds(db, [eventId])) };
}

export async function fetchEvent(db: PooledDb, model: RoomModel, eventId: string) {
  const e = await eventInRoom(db, model, eventId);
  return { pdu: e.pdu };
}

export async function backfill(db: PooledDb, model: RoomModel, from: string[], limit: number) {
  const starts: string[] = [];
  for (const id of from) {
    const e = await getEvent(db, id);
    if (e && e.roomId === model.roomId) starts.push(id);
  }
  // The starting events themselves are part of the answer (spec: "including the given events").
  const own = await pdusOf(db, starts);
  const before = await walkBack(db, model.roomId, starts, Math.max(0, limit - own.length));
  return { pdus: [...own, ...before.map((r) => JSON.parse(r.json))].slice(0, limit) };
}

export async function missingEvents(db: PooledDb, model: RoomModel, earliest: string[], latest: string[], limit: number, minDepth: number) {
  const events = await walkBack(db, model.roomId, latest, limit, new Set(earliest), minDepth);
  // Oldest first, as the receiver processes them in that order.
  return { events: events.sort((a, b) => a.depth - b.depth).map((r) => JSON.parse(r.json)) };
}

/** The event closest to a time in a direction (spec: server-server GET /timestamp_to_event). */
export async function eventAtTimestamp(db: PooledDb, model: RoomModel, ts: number, dir: 'f' | 'b') {
  const [row] = await db
    .select({ eventId: events.eventId, ts: events.originServerTs })
    .from(events)
    .where(and(eq(events.roomId, model.roomId), isNotNull(events.streamPos), dir === 'f' ? gte(events.originServerTs, ts) : lte(events.originServerTs, ts)))
    .orderBy(dir === 'f' ? asc(events.originServerTs) : desc(events.originServerTs), dir === 'f' ? asc(events.streamPos) : desc(events.streamPos))
    .limit(1);
  if (!row) throw new MatrixError(404, ErrCode.NOT_FOUND, `No event from ${ts} in direction ${dir}`);
  return { event_id: row.eventId, origin_server_ts: row.ts };
}
