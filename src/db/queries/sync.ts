// The reads /sync needs, shaped so one sync costs a handful of queries whatever the number of rooms.
import { and, desc, eq, gt, inArray, lt, lte, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { events, receipts, roomMemberships, toDevice } from '../schema';
import { parsePdu, type StoredEvent } from './rooms';

export interface MembershipRow {
  roomId: string;
  membership: string;
  eventId: string;
  streamPos: number;
  forgotten: boolean;
}

/**
 * The user's memberships and the stream heads, in one statement and so one snapshot: every
 * membership seen is at or below the heads, and every membership at or below them is seen.
 */
export async function membershipsAndHeads(db: Db, userId: string): Promise<{ rows: MembershipRow[]; e: number; m: number }> {
  const r = (await db.execute(sql`
    select m.room_id, m.membership, m.event_id, m.stream_pos, m.forgotten, h.e, h.m
    from (select (select coalesce(max(stream_pos), 0) from events) as e,
                 (select coalesce(max(pos), 0) from stream_heads where name = 'misc') as m) h
    left join room_memberships m on m.user_id = ${userId}`)) as unknown as {
    rows: { room_id: string | null; membership: string; event_id: string; stream_pos: string; forgotten: boolean; e: string; m: string }[];
  };
  const rows = r.rows
    .filter((x) => x.room_id !== null)
    .map((x) => ({ roomId: x.room_id!, membership: x.membership, eventId: x.event_id, streamPos: Number(x.stream_pos), forgotten: x.forgotten }));
  return { rows, e: Number(r.rows[0].e), m: Number(r.rows[0].m) };
}

const stored = {
  eventId: events.eventId,
  roomId: events.roomId,
  json: events.json,
  streamPos: events.streamPos,
  stateGroup: events.stateGroup,
  redactedBy: events.redactedBy,
  rejected: events.rejected,
  outlier: events.outlier,
  replacesState: events.replacesState,
};

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
