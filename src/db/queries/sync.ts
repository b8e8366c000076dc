// The reads /sync needs, shaped so one sync costs a handful of queries whatever the number of rooms.
import { and, desc, eq, gt, inArray, lt, lte, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { preparedStatement, type Placeholders } from '../prepared';
import { events, receipts, roomMemberships, toDevice } from '../schema';
import { parsePdu, type StoredEvent } from './rooms';
import { unreadCountRowsSql, type CountRow } from './push';

export interface MembershipRow {
  roomId: string;
  membership: string;
  eventId: string;
  streamPos: number;
  forgotten: boolean;
}

/** Per room, the newest `perRoom` events in (after, upto], oldest first, and whether there were more. */
export async function recentEvents(
  db: Db,
  roomIds: string[],
  after: number,
  upto: number,
  perRoom: number,
): Promise<Map<string, { events: StoredEvent[]; more: boolean }>> {
  const out = new Map<string, { events: StoredEvent[]; more: boolean }>();
  if (roomIds.length === 0) return out;
  const r = (await db.execute(sql`
    select * from (
      select e.event_id, e.room_id, e.json, e.stream_pos, e.state_group, e.redacted_by, e.rejected, e.outlier, e.replaces_state,
             row_number() over (partition by e.room_id order by e.stream_pos desc) as rn
      from events e
      where e.room_id = any(${sql.param(roomIds)}::text[]) and e.stream_pos > ${after} and e.stream_pos <= ${upto}
    ) x where x.rn <= ${perRoom + 1}
    order by x.room_id, x.stream_pos`)) as unknown as {
    rows: { event_id: string; room_id: string; json: string; stream_pos: string; state_group: string | null; redacted_by: string | null; rejected: string | null; outlier: boolean; replaces_state: string | null; rn: string }[];
  };
  for (const x of r.rows) {
    let entry = out.get(x.room_id);
    if (!entry) out.set(x.room_id, (entry = { events: [], more: false }));
    if (Number(x.rn) > perRoom) {
      entry.more = true;
      continue;
    }
    entry.events.push({
      eventId: x.event_id,
      roomId: x.room_id,
      pdu: parsePdu(x.json),
      streamPos: Number(x.stream_pos),
      stateGroup: x.state_group === null ? null : Number(x.state_group),
      redactedBy: x.redacted_by,
      rejected: x.rejected,
      outlier: x.outlier,
      replacesState: x.replaces_state,
    });
  }
  return out;
}

/** The state group of a room just before a position (the state after the last earlier event). */
export async function stateGroupBefore(db: Db, roomId: string, pos: number): Promise<number | null> {
  const [row] = await db
    .select({ g: events.stateGroup })
    .from(events)
    .where(and(eq(events.roomId, roomId), lt(events.streamPos, pos)))
    .orderBy(desc(events.streamPos))
    .limit(1);
  return row?.g ?? null;
}

/** Receipts of the given rooms that changed in (after, upto]; private ones only the owner's. */
export async function receiptsSince(db: Db, roomIds: string[], userId: string, after: number, upto: number) {
  if (roomIds.length === 0) return [];
  return db
    .select()
    .from(receipts)
    .where(
      and(
        inArray(receipts.roomId, roomIds),
        gt(receipts.streamPos, after),
        lte(receipts.streamPos, upto),
        sql`(${receipts.receiptType} <> 'm.read.private' or ${receipts.userId} = ${userId})`,
      ),
    );
}

/** Acknowledges (deletes) a device's to-device messages up to `upto`, then reads the next ones. */
export async function ackAndReadToDevice(db: Db, userId: string, deviceId: string, acked: number, upto: number, limit: number) {
  await db.delete(toDevice).where(and(eq(toDevice.userId, userId), eq(toDevice.deviceId, deviceId), lte(toDevice.streamPos, acked)));
  return db
    .select({ streamPos: toDevice.streamPos, sender: toDevice.sender, type: toDevice.type, content: toDevice.content })
    .from(toDevice)
    .where(and(eq(toDevice.userId, userId), eq(toDevice.deviceId, deviceId), gt(toDevice.streamPos, acked), lte(toDevice.streamPos, upto)))
    .orderBy(toDevice.streamPos)
    .limit(limit);
}

/** Local users who share a joined room with the user (for presence and device lists). */
export async function roomMates(db: Db, userId: string): Promise<string[]> {
  const r = (await db.execute(sql`
    select distinct o.user_id from ${roomMemberships} me
    join ${roomMemberships} o on o.room_id = me.room_id and o.membership = 'join'
    where me.user_id = ${userId} and me.membership = 'join'`)) as unknown as { rows: { user_id: string }[] };
  return r.rows.map((x) => x.user_id);
}

/** What a room's model needs from its row (src/services/rooms/model.ts). */
export interface RoomBasics {
  version: string;
  currentStateGroup: number | null;
  currentChainLength: number;
}

export interface SyncSnapshot {
  rows: MembershipRow[];
  e: number;
  m: number;
  /** Rooms joined at or before `since`: their newest events in (since, e], as recentEvents reads them. */
  recent: Map<string, { events: StoredEvent[]; more: boolean }>;
  /** The rows of the rooms in `recent`. */
  rooms: Map<string, RoomBasics>;
  /** Events of `recent` that have children to aggregate (threads, edits, references). */
  withChildren: Set<string>;
  /** Unread count rows of the joined rooms (unreadCountRowsSql), when asked for. */
  unread?: CountRow[];
}

type Row = unknown[];

type SnapshotParams = { userId: string; hasSince: boolean; since: number; rows: number };
const snapshotSql = (p: Placeholders<SnapshotParams>, unread: boolean) => sql`
    with h as (select (select coalesce(max(stream_pos), 0) from events) as e,
                      (select coalesce(max(pos), 0) from stream_heads where name = 'misc') as m),
    mem as (select room_id, membership, event_id, stream_pos, forgotten from room_memberships where user_id = ${p.userId}),
    ev as (
      select * from (
        select e.event_id, e.room_id, e.json, e.stream_pos, e.state_group, e.redacted_by, e.rejected, e.outlier, e.replaces_state,
               row_number() over (partition by e.room_id order by e.stream_pos desc) as rn
        from events e join mem on mem.room_id = e.room_id and mem.membership = 'join' and mem.stream_pos <= ${p.since}
        where ${p.hasSince} and e.stream_pos > ${p.since} and e.stream_pos <= (select e from h)
      ) x where x.rn <= ${p.rows}
    )
    select h.e, h.m,
      (select coalesce(json_agg(json_build_array(room_id, membership, event_id, stream_pos, forgotten)), '[]') from mem) as mem,
      (select coalesce(json_agg(json_build_array(ev.event_id, ev.room_id, ev.json, ev.stream_pos, ev.state_group, ev.redacted_by, ev.rejected, ev.outlier, ev.replaces_state, ev.rn,
         exists (select 1 from events c where c.relates_to = ev.event_id and c.rel_type in ('m.thread', 'm.replace', 'm.reference') and c.redacted_by is null and c.stream_pos is not null))
         order by ev.room_id, ev.stream_pos), '[]') from ev) as ev,
      (select coalesce(json_agg(json_build_array(r.room_id, r.version, r.current_state_group, r.current_chain_length)), '[]')
         from rooms r where r.room_id in (select distinct room_id from ev)) as rooms,
      ${
        unread
          ? sql`(select coalesce(json_agg(json_build_array(c.room_id, c.thread_id, c.n, c.h)), '[]') from (${unreadCountRowsSql(p.userId, sql`select room_id from mem where membership = 'join'`)}) c)`
          : sql`null`
      } as unread
    from h`;
const snapshot = preparedStatement<SnapshotParams>((p) => snapshotSql(p, false));
const snapshotWithUnread = preparedStatement<SnapshotParams>((p) => snapshotSql(p, true));

/**
 * Everything an incremental sync of steady rooms reads, in one statement (so one round trip and
 * one snapshot): the user's memberships and the stream heads (every membership seen is at or below
 * the heads, and every membership at or below them is seen), the new events of rooms
 * joined before `since` as recentEvents, their rooms, which of them have children, and the unread
 * counts. A woken long-poll costs this one query.
 */
export async function syncSnapshot(db: Db, userId: string, opts: { since?: number; perRoom: number; unread: boolean }): Promise<SyncSnapshot> {
  const params = { userId, hasSince: opts.since !== undefined, since: opts.since ?? -1, rows: opts.perRoom + 1 };
  const r = (await (opts.unread ? snapshotWithUnread : snapshot)(db, params)) as { rows: { e: string; m: string; mem: Row[]; ev: Row[]; rooms: Row[]; unread: Row[] | null }[] };
  const top = r.rows[0];
  const out: SyncSnapshot = {
    e: Number(top.e),
    m: Number(top.m),
    rows: top.mem.map(([roomId, membership, eventId, streamPos, forgotten]) => ({ roomId, membership, eventId, streamPos: Number(streamPos), forgotten }) as MembershipRow),
    recent: new Map(),
    rooms: new Map(top.rooms.map(([roomId, version, group, chain]) => [roomId as string, { version: version as string, currentStateGroup: group === null ? null : Number(group), currentChainLength: Number(chain) }])),
    withChildren: new Set(),
  };
  for (const [eventId, roomId, json, streamPos, stateGroup, redactedBy, rejected, outlier, replacesState, rn, children] of top.ev as [string, string, string, number, number | null, string | null, string | null, boolean, string | null, number, boolean][]) {
    let entry = out.recent.get(roomId);
    if (!entry) out.recent.set(roomId, (entry = { events: [], more: false }));
    if (Number(rn) > opts.perRoom) {
      entry.more = true;
      continue;
    }
    entry.events.push({ eventId, roomId, pdu: parsePdu(json), streamPos: Number(streamPos), stateGroup: stateGroup === null ? null : Number(stateGroup), redactedBy, rejected, outlier, replacesState });
    if (children) out.withChildren.add(eventId);
  }
  if (top.unread) out.unread = top.unread.map(([room_id, thread_id, n, h]) => ({ room_id, thread_id, n, h }) as CountRow);
  return out;
}
