// Queries over rooms and their events. Writes happen only in the room's Durable Object, in one
// transaction per batch of events (invariant 7), with stream positions taken in commit order.
import { and, desc, eq, getTableName, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db, PooledDb } from '../client';
import { bulkInsertSql, unnestRows } from '../bulk-insert';
import {
  eventEdges,
  eventPushActions,
  eventTxns,
  events,
  forwardExtremities,
  redactions,
  roomMemberships,
  roomState,
  rooms,
  stateGroupEntries,
  stateGroups,
} from '../schema';
import type { Pdu, RoomEvent } from '../../matrix/types';
import type { PendingPushAction } from './push';
import { searchIndexStatements } from './search';

export type RoomRow = typeof rooms.$inferSelect;

/** The lock that orders stream positions: held from position allocation to commit. */
const STREAM_LOCK = 0x6d79656c; // "myel"
/** Past this many deltas a state group stores the full state, so reads stay one short query. */
export const MAX_CHAIN_LENGTH = 100;

export function parsePdu(json: string): Pdu {
  return JSON.parse(json) as Pdu;
}

export async function getRoom(db: Db, roomId: string): Promise<RoomRow | undefined> {
  const [row] = await db.select().from(rooms).where(eq(rooms.roomId, roomId));
  return row;
}

export async function currentStateEvents(db: Db, roomId: string): Promise<RoomEvent[]> {
  const rows = await db
    .select({ eventId: events.eventId, json: events.json })
    .from(roomState)
    .innerJoin(events, eq(events.eventId, roomState.eventId))
    .where(eq(roomState.roomId, roomId));
  return rows.map((r) => ({ eventId: r.eventId, pdu: parsePdu(r.json) }));
}

export async function extremityEvents(db: Db, roomId: string): Promise<RoomEvent[]> {
  const rows = await db
    .select({ eventId: events.eventId, json: events.json })
    .from(forwardExtremities)
    .innerJoin(events, eq(events.eventId, forwardExtremities.eventId))
    .where(eq(forwardExtremities.roomId, roomId));
  return rows.map((r) => ({ eventId: r.eventId, pdu: parsePdu(r.json) }));
}

export interface StoredEvent extends RoomEvent {
  roomId: string;
  streamPos: number | null;
  stateGroup: number | null;
  redactedBy: string | null;
  rejected: string | null;
  outlier: boolean;
  replacesState: string | null;
}

const storedColumns = {
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

function toStored({ json, ...rest }: Omit<StoredEvent, 'pdu'> & { json: string }): StoredEvent {
  return { ...rest, pdu: parsePdu(json) };
}

/** Ids of the room's current state events redacted by a redaction of the same room. */
export async function redactedStateIds(db: Db, roomId: string): Promise<Set<string>> {
  const r = (await db.execute(sql`
    select s.event_id from ${roomState} s
    join ${events} e on e.event_id = s.event_id
    join ${events} r on r.event_id = e.redacted_by and r.room_id = e.room_id
    where s.room_id = ${roomId}`)) as unknown as { rows: { event_id: string }[] };
  return new Set(r.rows.map((x) => x.event_id));
}

export async function getEvents(db: Db, eventIds: string[]): Promise<Map<string, StoredEvent>> {
  if (eventIds.length === 0) return new Map();
  const rows = await db.select(storedColumns).from(events).where(inArray(events.eventId, eventIds));
  return new Map(rows.map((r) => [r.eventId, toStored(r)]));
}

export async function getEvent(db: Db, eventId: string): Promise<StoredEvent | undefined> {
  return (await getEvents(db, [eventId])).get(eventId);
}

/** Timeline events of a room between two stream positions, in either direction. */
export async function timeline(
  db: Db,
  roomId: string,
  opts: { after?: number; before?: number; dir: 'f' | 'b'; limit: number },
): Promise<StoredEvent[]> {
  const conds = [eq(events.roomId, roomId), sql`${events.streamPos} is not null`];
  if (opts.after !== undefined) conds.push(sql`${events.streamPos} > ${opts.after}`);
  if (opts.before !== undefined) conds.push(sql`${events.streamPos} < ${opts.before}`);
  const rows = await db
    .select(storedColumns)
    .from(events)
    .where(and(...conds))
    .orderBy(opts.dir === 'f' ? events.streamPos : desc(events.streamPos))
    .limit(opts.limit);
  return rows.map(toStored);
}

/** The full state of a group: the closest entry of each key along the delta chain. */
export async function stateOfGroup(db: Db, groupId: number): Promise<Map<string, string>> {
  const result = (await db.execute(sql`
    with recursive chain(id, prev, n) as (
      select id, prev_group, 0 from ${stateGroups} where id = ${groupId}
      union all
      select g.id, g.prev_group, c.n + 1 from ${stateGroups} g join chain c on g.id = c.prev
    )
    select distinct on (e.type, e.state_key) e.type, e.state_key, e.event_id
    from ${stateGroupEntries} e join chain c on e.group_id = c.id
    order by e.type, e.state_key, c.n`)) as unknown as { rows: { type: string; state_key: string; event_id: string | null }[] };
  const out = new Map<string, string>();
  for (const r of result.rows) if (r.event_id !== null) out.set(`${r.type.length}:${r.type}${r.state_key}`, r.event_id);
  return out;
}

/** Selected keys of the states of several groups (history visibility, one member), in one query. */
export async function stateKeysAtGroups(
  db: Db,
  groupIds: number[],
  keys: [type: string, stateKey: string][],
): Promise<Map<number, Map<string, string>>> {
  const out = new Map<number, Map<string, string>>();
  if (groupIds.length === 0 || keys.length === 0) return out;
  const types = keys.map((k) => k[0]);
  const stateKeys = keys.map((k) => k[1]);
  const result = (await db.execute(sql`
    with recursive chain(root, id, prev, n) as (
      select id, id, prev_group, 0 from ${stateGroups} where id = any(${sql.param(groupIds)}::bigint[])
      union all
      select c.root, g.id, g.prev_group, c.n + 1 from ${stateGroups} g join chain c on g.id = c.prev
    ), wanted(type, state_key) as (select * from unnest(${sql.param(types)}::text[], ${sql.param(stateKeys)}::text[]))
    select distinct on (c.root, e.type, e.state_key) c.root, e.type, e.state_key, e.event_id
    from chain c join ${stateGroupEntries} e on e.group_id = c.id
    join wanted w on w.type = e.type and w.state_key = e.state_key
    order by c.root, e.type, e.state_key, c.n`)) as unknown as { rows: { root: string; type: string; state_key: string; event_id: string | null }[] };
  for (const r of result.rows) {
    const root = Number(r.root);
    let m = out.get(root);
    if (!m) out.set(root, (m = new Map()));
    if (r.event_id !== null) m.set(`${r.type.length}:${r.type}${r.state_key}`, r.event_id);
  }
  return out;
}

export interface TxnRef {
  userId: string;
  deviceId: string;
  scope: string;
  txnId: string;
}

export const txnKey = (t: TxnRef) => `${t.userId}\u0000${t.deviceId}\u0000${t.scope}\u0000${t.txnId}`;

/**
 * Whether a failed write failed because a transaction id was used already (persistEvents inserts
 * them without looking first: a retry of a stored send makes the batch fail, and the caller looks).
 */
export function isTxnConflict(e: unknown): boolean {
  for (let c: unknown = e; typeof c === 'object' && c !== null; c = (c as { cause?: unknown }).cause) {
    const { code, constraint } = c as { code?: unknown; constraint?: unknown };
    if (code === '23505' && constraint === 'event_txns_user_id_device_id_scope_txn_id_pk') return true;
  }
  return false;
}

/** The events already sent under some transaction ids (one query for a whole batch), by `txnKey`. */
export async function findTxns(db: Pick<Db, 'execute'>, txns: TxnRef[]): Promise<Map<string, string>> {
  if (txns.length === 0) return new Map();
  const col = (k: keyof TxnRef) => sql.param(txns.map((t) => t[k]));
  const r = (await db.execute(sql`
    select t.user_id, t.device_id, t.scope, t.txn_id, t.event_id from event_txns t
    join unnest(${col('userId')}::text[], ${col('deviceId')}::text[], ${col('scope')}::text[], ${col('txnId')}::text[]) as w(u, d, s, x)
      on t.user_id = w.u and t.device_id = w.d and t.scope = w.s and t.txn_id = w.x`)) as unknown as {
    rows: { user_id: string; device_id: string; scope: string; txn_id: string; event_id: string }[];
  };
  return new Map(r.rows.map((x) => [txnKey({ userId: x.user_id, deviceId: x.device_id, scope: x.scope, txnId: x.txn_id }), x.event_id]));
}

/** What persisting one event writes besides the event itself. */
export interface NewEvent {
  event: RoomEvent;
  txn?: TxnRef;
  relatesTo?: string;
  relType?: string;
  /** A redaction's target. */
  redacts?: string;
  /** For member events: whether the target user is local to this server. */
  localMember?: boolean;
  replacesState?: string;
}

export interface PersistInput {
  roomId: string;
  /** A new room's row, inserted in the same transaction as its first events. */
  createRoom?: typeof rooms.$inferInsert;
  /** Current state before the batch (stateKey → event id) and its group. */
  baseState: Map<string, string>;
  baseGroup: number | null;
  baseChainLength: number;
  batch: NewEvent[];
  extremities: string[];
  /** Notification rows of the batch's events, written with their positions. */
  pushActions?: PendingPushAction[];
  /** Earlier events whose notification rows go (redacted by the batch). */
  unnotify?: string[];
  /** Leave or ban events of the batch whose memberships are stored as forgotten (FORGET_ROOMS_ON_LEAVE). */
  forgotten?: string[];
}

export interface PersistResult {
  positions: number[];
  stateGroup: number | null;
  chainLength: number;
}

/** Rows written with their events' stream positions, in the statement that allocates them. */
export interface WithPositions {
  /** Users whose membership rows were written with these events (the rows take their positions). */
  members?: string[];
  /** Notification rows of these events (inserted with their positions). */
  pushActions?: PendingPushAction[];
}

/**
 * `p(id, pos, ord)`: stream positions for `eventIds`, in their order, allocated under the stream
 * lock (CTEs `l` and `raw` take it first). The lock is held until the transaction commits, so
 * positions become visible in the order they were allocated.
 */
function positionsCte(eventIds: string[]): SQL {
  return sql`l as materialized (select pg_advisory_xact_lock(${STREAM_LOCK}) as locked),
    raw as materialized (select nextval('event_stream')::bigint as pos from l, generate_series(1, ${eventIds.length})),
    p as materialized (
      select ids.id, r.pos, ids.ord from (select pos, row_number() over (order by pos) as ord from raw) r
      join unnest(${sql.param(eventIds)}::text[]) with ordinality as ids(id, ord) on ids.ord = r.ord)`;
}

/** INSERT of rows that take their event's position (`p.pos`, joined on `eventId`) from positionsCte. */
function insertWithPositions<T extends PgTable>(table: T, rows: Partial<T['$inferInsert']>[], tail?: SQL): SQL {
  const u = unnestRows(table, rows);
  return sql`insert into ${sql.identifier(getTableName(table))} (${u.names}, stream_pos) select ${u.values}, p.pos from ${u.source} join p on p.id = ${u.alias('eventId')} ${tail ?? sql``}`;
}

/**
 * Gives events stored already (in this transaction, without positions) their stream positions,
 * with the memberships that carry them, and inserts their notification rows with them, in ONE
 * statement that also takes the stream lock: from here to commit nothing else runs. Positions are
 * assigned in the order of `eventIds`. (Local batches are written whole by persistEvents.)
 */
export async function assignStreamPositions(tx: Pick<Db, 'execute'>, roomId: string, eventIds: string[], rows: WithPositions = {}): Promise<number[]> {
  const members = rows.members ?? [];
  const r = (await tx.execute(sql`
    with ${positionsCte(eventIds)},
    e as (update events set stream_pos = p.pos from p where events.event_id = p.id returning 1)
    ${
      members.length
        ? sql`, m as (update room_memberships set stream_pos = p.pos from p
            where room_memberships.room_id = ${roomId} and room_memberships.user_id = any(${sql.param(members)}::text[]) and room_memberships.event_id = p.id returning 1)`
        : sql``
    }
    ${rows.pushActions?.length ? sql`, a as (${insertWithPositions(eventPushActions, rows.pushActions, sql`on conflict do nothing`)})` : sql``}
    select p.id, p.pos from p order by p.ord`)) as unknown as { rows: { id: string; pos: string }[] };
  return r.rows.map((x) => Number(x.pos));
}

/**
 * Writes a batch of accepted events atomically, as ONE statement (one round trip, its own
 * transaction): every row of the batch, the stream lock, and the positions, which the events,
 * memberships and notification rows are inserted with. The lock is taken first (the main query
 * reads the positions; the other writes run after it) and held until the statement commits, so
 * positions are allocated in commit order without a commit round trip under the lock.
 * Rows are inserted once each, never updated in the same statement (PostgreSQL cannot modify a
 * row twice in one statement): what the batch does to earlier events (redactions) touches only
 * earlier rows.
 */
export async function persistEvents(db: PooledDb, input: PersistInput): Promise<PersistResult> {
  const { roomId, batch } = input;

  // State groups: a delta over the previous group per state event, a full snapshot when the
  // chain would grow too long. Their ids come first (a sequence: not transactional anyway).
  const stateEventCount = batch.filter((b) => typeof b.event.pdu.state_key === 'string').length;
  const groupIds: number[] = [];
  if (stateEventCount > 0) {
    const r = (await db.execute(sql`select nextval('state_groups_id_seq')::bigint as id from generate_series(1, ${stateEventCount})`)) as unknown as { rows: { id: string }[] };
    groupIds.push(...r.rows.map((x) => Number(x.id)).sort((a, b) => a - b));
  }
  const state = new Map(input.baseState);
  let group = input.baseGroup;
  let chain = input.baseChainLength;
  const groupRows: (typeof stateGroups.$inferInsert)[] = [];
  const entryRows: (typeof stateGroupEntries.$inferInsert)[] = [];
  const eventGroups: (number | null)[] = [];
  for (const { event } of batch) {
    const { pdu } = event;
    if (typeof pdu.state_key === 'string') {
      state.set(`${pdu.type.length}:${pdu.type}${pdu.state_key}`, event.eventId);
      const id = groupIds.shift()!;
      if (group === null || chain >= MAX_CHAIN_LENGTH) {
        groupRows.push({ id, roomId, prevGroup: null, chainLength: 0 });
        for (const [key, eventId] of state) {
          const colon = key.indexOf(':');
          const n = Number(key.slice(0, colon));
          entryRows.push({ groupId: id, type: key.slice(colon + 1, colon + 1 + n), stateKey: key.slice(colon + 1 + n), eventId });
        }
        chain = 0;
      } else {
        groupRows.push({ id, roomId, prevGroup: group, chainLength: chain + 1 });
        entryRows.push({ groupId: id, type: pdu.type, stateKey: pdu.state_key, eventId: event.eventId });
        chain += 1;
      }
      group = id;
    }
    eventGroups.push(group);
  }

  const edges = batch.flatMap(({ event }) =>
    (event.pdu.prev_events as unknown[]).map((p) => ({ eventId: event.eventId, prevEventId: Array.isArray(p) ? (p[0] as string) : (p as string), roomId })),
  );
  const lastByKey = new Map<string, { type: string; stateKey: string; eventId: string }>();
  for (const { event } of batch) {
    const { pdu } = event;
    if (typeof pdu.state_key === 'string') lastByKey.set(`${pdu.type}\u0000${pdu.state_key}`, { type: pdu.type, stateKey: pdu.state_key, eventId: event.eventId });
  }
  const txns = batch.filter((b) => b.txn).map((b) => ({ ...b.txn!, eventId: b.event.eventId, createdTs: Date.now() }));
  const reds = batch.filter((b) => b.redacts).map((b) => ({ eventId: b.event.eventId, redacts: b.redacts!, roomId }));
  const inBatch = new Set(batch.map((b) => b.event.eventId));
  // The first redaction of an event marks it (as one statement each would, each skipping a marked one).
  const redactedInBatch = new Map<string, string>();
  for (const r of reds) if (!redactedInBatch.has(r.redacts)) redactedInBatch.set(r.redacts, r.eventId);
  const redactedEarlier = [...redactedInBatch].filter(([target]) => !inBatch.has(target));
  const forgotten = new Set(input.forgotten ?? []);
  const lastMember = new Map<string, Omit<typeof roomMemberships.$inferInsert, 'streamPos'>>();
  for (const b of batch) {
    const { pdu } = b.event;
    if (pdu.type === 'm.room.member' && typeof pdu.state_key === 'string') {
      lastMember.set(pdu.state_key, {
        roomId,
        userId: pdu.state_key,
        membership: String(pdu.content.membership),
        eventId: b.event.eventId,
        sender: pdu.sender,
        local: b.localMember ?? false,
        forgotten: forgotten.has(b.event.eventId),
      });
    }
  }
  const eventRows = batch.map((b, i) => ({
    eventId: b.event.eventId,
    roomId,
    depth: b.event.pdu.depth,
    type: b.event.pdu.type,
    stateKey: b.event.pdu.state_key ?? null,
    sender: b.event.pdu.sender,
    originServerTs: b.event.pdu.origin_server_ts,
    json: JSON.stringify(b.event.pdu),
    stateGroup: eventGroups[i],
    relatesTo: b.relatesTo ?? null,
    relType: b.relType ?? null,
    replacesState: b.replacesState ?? null,
    redactedBy: redactedInBatch.get(b.event.eventId) ?? null,
  }));

  // An event redacted in its own batch notifies no one; nor, from now on, does an earlier one.
  const pushActions = (input.pushActions ?? []).filter((a) => !redactedInBatch.has(a.eventId));
  const unnotify = (input.unnotify ?? []).filter((id) => !inBatch.has(id));
  const writes: (SQL | undefined)[] = [
    insertWithPositions(events, eventRows),
    lastMember.size
      ? insertWithPositions(
          roomMemberships,
          [...lastMember.values()],
          sql`on conflict (room_id, user_id) do update set membership = excluded.membership, event_id = excluded.event_id, sender = excluded.sender,
            stream_pos = excluded.stream_pos, forgotten = excluded.forgotten`,
        )
      : undefined,
    pushActions.length ? insertWithPositions(eventPushActions, pushActions, sql`on conflict do nothing`) : undefined,
    input.createRoom
      ? bulkInsertSql(rooms, [{ ...input.createRoom, currentStateGroup: group, currentChainLength: chain }])
      : db.update(rooms).set({ currentStateGroup: group, currentChainLength: chain }).where(eq(rooms.roomId, roomId)).getSQL(),
    bulkInsertSql(stateGroups, groupRows),
    bulkInsertSql(stateGroupEntries, entryRows),
    bulkInsertSql(eventEdges, edges, sql`on conflict do nothing`),
    lastByKey.size
      ? db
          .insert(roomState)
          .values([...lastByKey.values()].map((v) => ({ roomId, ...v })))
          .onConflictDoUpdate({ target: [roomState.roomId, roomState.type, roomState.stateKey], set: { eventId: sql`excluded.event_id` } })
          .getSQL()
      : undefined,
    sql`delete from forward_extremities where room_id = ${roomId} and event_id <> all(${sql.param(input.extremities)}::text[])`,
    bulkInsertSql(forwardExtremities, input.extremities.map((eventId) => ({ roomId, eventId })), sql`on conflict do nothing`),
    bulkInsertSql(eventTxns, txns),
    bulkInsertSql(redactions, reds, sql`on conflict do nothing`),
    // Only an event of this room can be redacted from it.
    redactedEarlier.length
      ? sql`update events set redacted_by = x.r from unnest(${sql.param(redactedEarlier.map(([t]) => t))}::text[], ${sql.param(redactedEarlier.map(([, r]) => r))}::text[]) as x(t, r)
          where events.event_id = x.t and events.room_id = ${roomId} and events.redacted_by is null`
      : undefined,
    // A redacted event no longer notifies anyone (as in Synapse).
    unnotify.length ? sql`delete from event_push_actions where event_id = any(${sql.param(unnotify)}::text[]) and room_id = ${roomId}` : undefined,
    // Derived rows for full-text search (search.ts), with the events.
    ...searchIndexStatements(roomId, batch),
  ];
  const parts = writes.filter((w): w is SQL => w !== undefined);
  const r = (await db.execute(sql`
    with ${positionsCte(batch.map((b) => b.event.eventId))},
    ${sql.join(
      parts.map((part, i) => sql`${sql.raw(`w${i}`)} as (${part})`),
      sql`, `,
    )}
    select p.id, p.pos from p order by p.ord`)) as unknown as { rows: { id: string; pos: string }[] };
  return { positions: r.rows.map((x) => Number(x.pos)), stateGroup: group, chainLength: chain };
}

/** Marks the memberships these leave or ban events made as forgotten (only while they are still the current ones). */
export async function forgetMemberships(db: Db, roomId: string, leaveEventIds: string[]): Promise<void> {
  if (leaveEventIds.length === 0) return;
  await db
    .update(roomMemberships)
    .set({ forgotten: true })
    .where(and(eq(roomMemberships.roomId, roomId), inArray(roomMemberships.eventId, leaveEventIds), inArray(roomMemberships.membership, ['leave', 'ban'])));
}

export async function membershipOf(db: Db, roomId: string, userId: string) {
  const [row] = await db.select().from(roomMemberships).where(and(eq(roomMemberships.roomId, roomId), eq(roomMemberships.userId, userId)));
  return row;
}

export async function roomsOfUser(db: Db, userId: string, membership: string): Promise<string[]> {
  const rows = await db
    .select({ roomId: roomMemberships.roomId })
    .from(roomMemberships)
    .where(and(eq(roomMemberships.userId, userId), eq(roomMemberships.membership, membership)));
  return rows.map((r) => r.roomId);
}
