// GET /timestamp_to_event (spec: client-server "Room participation"): the event closest to a time
// in one direction, among the room's events this server has and the requester may see. Asking
// other servers about gaps in history needs federation, which this server does not have yet.
import { and, asc, desc, eq, gt, gte, isNotNull, lt, lte, or, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { getEvents, type StoredEvent } from '../../db/queries/rooms';
import { events } from '../../db/schema';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { visibleTo } from './read';
import { loadSnapshot } from './snapshot';

const PAGE = 50;
const MAX_ROUNDS = 10;

/** The next events of the room from a time, in time order (ties by stream position). */
async function eventsFrom(db: Db, roomId: string, dir: 'f' | 'b', ts: number, after?: { ts: number; pos: number }): Promise<StoredEvent[]> {
  const conds: SQL[] = [eq(events.roomId, roomId), isNotNull(events.streamPos), dir === 'f' ? gte(events.originServerTs, ts) : lte(events.originServerTs, ts)];
  if (after) {
    conds.push(
      dir === 'f'
        ? or(gt(events.originServerTs, after.ts), and(eq(events.originServerTs, after.ts), gt(events.streamPos, after.pos)))!
        : or(lt(events.originServerTs, after.ts), and(eq(events.originServerTs, after.ts), lt(events.streamPos, after.pos)))!,
    );
  }
  const order = dir === 'f' ? [asc(events.originServerTs), asc(events.streamPos)] : [desc(events.originServerTs), desc(events.streamPos)];
  const rows = await db
    .select({ eventId: events.eventId })
    .from(events)
    .where(and(...conds))
    .orderBy(...order)
    .limit(PAGE);
  const found = await getEvents(db, rows.map((r) => r.eventId));
  return rows.map((r) => found.get(r.eventId)!).filter((e) => e !== undefined);
}

export async function eventAtTimestamp(db: Db, roomId: string, userId: string, ts: number, dir: 'f' | 'b') {
  const snapshot = await loadSnapshot(db, roomId, { keys: [['m.room.member', userId], ['m.room.history_visibility', '']] });
  const readable =
    snapshot !== undefined &&
    (snapshot.membership(userId) === 'join' || snapshot.content('m.room.history_visibility')?.history_visibility === 'world_readable');
  if (!readable) throw new MatrixError(403, ErrCode.FORBIDDEN, 'You are not allowed to view this room');
  const model = snapshot.model();
  let after: { ts: number; pos: number } | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const page = await eventsFrom(db, roomId, dir, ts, after);
    const [first] = await visibleTo(db, model, userId, page);
    if (first) return { event_id: first.eventId, origin_server_ts: first.pdu.origin_server_ts };
    if (page.length < PAGE) break;
    const last = page[page.length - 1];
    after = { ts: last.pdu.origin_server_ts, pos: last.streamPos! };
  }
  throw new MatrixError(404, ErrCode.NOT_FOUND, `Unable to find event from ${ts} in direction ${dir}`);
}
