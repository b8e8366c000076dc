// Event relationships (spec: "Event relationships", "Threading", "Event replacements", "Reference
// relations"): child events by parent, for aggregation and pagination.
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { events } from '../schema';

export interface ChildRow {
  eventId: string;
  relatesTo: string;
  relType: string;
  sender: string;
  type: string;
  stateKey: string | null;
  originServerTs: number;
  streamPos: number;
}

/** Live (unredacted, accepted) children of the given parents with the given relation types. */
export async function childrenOf(db: Db, parentIds: string[], relTypes: string[]): Promise<ChildRow[]> {
  if (parentIds.length === 0) return [];
  const rows = await db
    .select({
      eventId: events.eventId,
      relatesTo: events.relatesTo,
      relType: events.relType,
      sender: events.sender,
      type: events.type,
      stateKey: events.stateKey,
      originServerTs: events.originServerTs,
      streamPos: events.streamPos,
    })
    .from(events)
    .where(and(inArray(events.relatesTo, parentIds), inArray(events.relType, relTypes), isNull(events.redactedBy), sql`${events.streamPos} is not null`));
  return rows as ChildRow[];
}

/** One page of a parent's children by stream position. */
export async function relationPage(
  db: Db,
  roomId: string,
  parentIds: string[],
  opts: { relType?: string; eventType?: string; after?: number; before?: number; dir: 'b' | 'f'; limit: number },
): Promise<{ eventId: string; streamPos: number; relatesTo: string }[]> {
  const conds = [eq(events.roomId, roomId), inArray(events.relatesTo, parentIds), isNull(events.redactedBy), sql`${events.streamPos} is not null`];
  if (opts.relType) conds.push(eq(events.relType, opts.relType));
  if (opts.eventType) conds.push(eq(events.type, opts.eventType));
  if (opts.after !== undefined) conds.push(sql`${events.streamPos} > ${opts.after}`);
  if (opts.before !== undefined) conds.push(sql`${events.streamPos} < ${opts.before}`);
  const rows = await db
    .select({ eventId: events.eventId, streamPos: events.streamPos, relatesTo: events.relatesTo })
    .from(events)
    .where(and(...conds))
    .orderBy(opts.dir === 'f' ? events.streamPos : sql`${events.streamPos} desc`)
    .limit(opts.limit);
  return rows as { eventId: string; streamPos: number; relatesTo: string }[];
}

/** Thread roots of a room by latest activity, newest first, before a position. */
export async function threadRoots(db: Db, roomId: string, opts: { before?: number; limit: number; participant?: string }) {
  const r = (await db.execute(sql`
    select t.root, t.latest from (
      select relates_to as root, max(stream_pos) as latest
      from events
      where room_id = ${roomId} and rel_type = 'm.thread' and redacted_by is null and stream_pos is not null
      group by relates_to
    ) t
    join events r on r.event_id = t.root and r.room_id = ${roomId}
    where ${opts.before === undefined ? sql`true` : sql`t.latest < ${opts.before}`}
      ${opts.participant === undefined
        ? sql``
        : sql`and (r.sender = ${opts.participant} or exists (select 1 from events c where c.relates_to = t.root and c.rel_type = 'm.thread' and c.sender = ${opts.participant}))`}
    order by t.latest desc
    limit ${opts.limit}`)) as unknown as { rows: { root: string; latest: string }[] };
  return r.rows.map((x) => ({ root: x.root, latest: Number(x.latest) }));
}
