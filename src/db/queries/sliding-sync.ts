// The reads simplified sliding sync needs, batched over rooms: one statement for the rooms of a
// response however many there are. Everything reads the tables /sync reads; nothing is copied.
import { sql } from 'drizzle-orm';
import type { Db } from '../client';
import { hasValidVia } from '../../matrix/spaces';
import { parsePdu, type StoredEvent } from './rooms';

export interface MembershipRow {
  roomId: string;
  membership: string;
  eventId: string;
  sender: string;
  streamPos: number;
  forgotten: boolean;
}

/**
 * The user's memberships and the stream heads in one statement, so one snapshot (as /sync's
 * syncSnapshot reads them, with the sender: a leave sent by someone else is a kick).
 */
export async function membershipsWithHeads(db: Db, userId: string): Promise<{ rows: MembershipRow[]; e: number; m: number }> {
  const r = (await db.execute(sql`
    select m.room_id, m.membership, m.event_id, m.sender, m.stream_pos, m.forgotten, h.e, h.m
    from (select (select coalesce(max(stream_pos), 0) from events) as e,
                 (select coalesce(max(pos), 0) from stream_heads where name = 'misc') as m) h
    left join room_memberships m on m.user_id = ${userId}`)) as unknown as {
    rows: { room_id: string | null; membership: string; event_id: string; sender: string; stream_pos: string; forgotten: boolean; e: string; m: string }[];
  };
  const rows = r.rows
    .filter((x) => x.room_id !== null)
    .map((x) => ({ roomId: x.room_id!, membership: x.membership, eventId: x.event_id, sender: x.sender, streamPos: Number(x.stream_pos), forgotten: x.forgotten }));
  return { rows, e: Number(r.rows[0].e), m: Number(r.rows[0].m) };
}

export interface Activity {
  /** Position of the newest event. */
  last: number;
  /** Position of the newest event of a type that bumps the room (0: none). */
  bump: number;
}

/** The newest event and the newest bump event of each room, at or before `upto`. */
export async function activityOf(db: Db, roomIds: string[], upto: number, bumpTypes: readonly string[]): Promise<Map<string, Activity>> {
  const out = new Map<string, Activity>();
  if (roomIds.length === 0) return out;
  const r = (await db.execute(sql`
    select r.id as room_id,
      (select e.stream_pos from events e where e.room_id = r.id and e.stream_pos <= ${upto} order by e.stream_pos desc limit 1) as last,
      (select e.stream_pos from events e where e.room_id = r.id and e.stream_pos <= ${upto} and e.type = any(${sql.param([...bumpTypes])}::text[])
        order by e.stream_pos desc limit 1) as bump
    from unnest(${sql.param(roomIds)}::text[]) r(id)`)) as unknown as { rows: { room_id: string; last: string | null; bump: string | null }[] };
  for (const x of r.rows) out.set(x.room_id, { last: Number(x.last ?? 0), bump: Number(x.bump ?? 0) });
  return out;
}

/** For the rooms with events in (after, upto]: their newest event and newest bump event there. */
export async function activityBetween(db: Db, roomIds: string[], after: number, upto: number, bumpTypes: readonly string[]): Promise<Map<string, Activity>> {
  const out = new Map<string, Activity>();
  if (roomIds.length === 0 || upto <= after) return out;
  const r = (await db.execute(sql`
    select room_id, max(stream_pos) as last, max(stream_pos) filter (where type = any(${sql.param([...bumpTypes])}::text[])) as bump
    from events where stream_pos > ${after} and stream_pos <= ${upto} and room_id = any(${sql.param(roomIds)}::text[])
    group by room_id`)) as unknown as { rows: { room_id: string; last: string; bump: string | null }[] };
  for (const x of r.rows) out.set(x.room_id, { last: Number(x.last), bump: Number(x.bump ?? 0) });
  return out;
}

export interface RoomFacts {
  version?: string;
  /** The create event's `type` (null: none); undefined when the server does not have the room's state. */
  type?: string | null;
  encrypted?: boolean;
}

/** Room version, room type and whether the room is encrypted, from the current state. */
export async function roomFacts(db: Db, roomIds: string[]): Promise<Map<string, RoomFacts>> {
  const out = new Map<string, RoomFacts>();
  if (roomIds.length === 0) return out;
  const r = (await db.execute(sql`
    select r.id as room_id, rm.version,
      (select e.json from room_state rs join events e on e.event_id = rs.event_id
        where rs.room_id = r.id and rs.type = 'm.room.create' and rs.state_key = '') as create_json,
      exists (select 1 from room_state rs where rs.room_id = r.id and rs.type = 'm.room.encryption' and rs.state_key = '') as encrypted
    from unnest(${sql.param(roomIds)}::text[]) r(id) left join rooms rm on rm.room_id = r.id`)) as unknown as {
    rows: { room_id: string; version: string | null; create_json: string | null; encrypted: boolean }[];
  };
  for (const x of r.rows) {
    if (x.create_json === null) {
      out.set(x.room_id, x.version ? { version: x.version } : {});
      continue;
    }
    const type = parsePdu(x.create_json).content.type;
    out.set(x.room_id, { version: x.version ?? undefined, type: typeof type === 'string' ? type : null, encrypted: x.encrypted });
  }
  return out;
}

/** Room versions never change: cached for the isolate's life. */
const versions = new Map<string, string>();

/** The version of each room the server has (rooms it only holds an invite to have none). */
export async function roomVersions(db: Db, roomIds: string[]): Promise<Map<string, string>> {
  const missing = roomIds.filter((id) => !versions.has(id));
  if (missing.length) {
    const r = (await db.execute(sql`select room_id, version from rooms where room_id = any(${sql.param(missing)}::text[])`)) as unknown as { rows: { room_id: string; version: string }[] };
    for (const x of r.rows) versions.set(x.room_id, x.version);
  }
  const out = new Map<string, string>();
  for (const id of roomIds) {
    const v = versions.get(id);
    if (v) out.set(id, v);
  }
  return out;
}

interface EventRow {
  event_id: string;
  room_id: string;
  json: string;
  stream_pos: string | null;
  state_group: string | null;
  redacted_by: string | null;
  rejected: string | null;
  outlier: boolean;
  replaces_state: string | null;
}

function stored(x: EventRow): StoredEvent {
  return {
    eventId: x.event_id,
    roomId: x.room_id,
    pdu: parsePdu(x.json),
    streamPos: x.stream_pos === null ? null : Number(x.stream_pos),
    stateGroup: x.state_group === null ? null : Number(x.state_group),
    redactedBy: x.redacted_by,
    rejected: x.rejected,
    outlier: x.outlier,
    replacesState: x.replaces_state,
  };
}

/**
 * Events by id, as getEvents reads them, with the ids as one array parameter: a response reads a
 * few hundred state events, and the query builder costs CPU per parameter.
 */
export async function eventsByIds(db: Db, eventIds: string[]): Promise<Map<string, StoredEvent>> {
  const out = new Map<string, StoredEvent>();
  if (eventIds.length === 0) return out;
  const r = (await db.execute(sql`
    select event_id, room_id, json, stream_pos, state_group, redacted_by, rejected, outlier, replaces_state
    from events where event_id = any(${sql.param(eventIds)}::text[])`)) as unknown as { rows: EventRow[] };
  for (const x of r.rows) out.set(x.event_id, stored(x));
  return out;
}

export interface RoomWindow {
  roomId: string;
  /** Timeline events after this position (0: from the start)... */
  after: number;
  /** ...up to this one, inclusive. */
  upto: number;
  limit: number;
  /** Also the state keys that changed after this position, up to `upto`. */
  stateAfter?: number;
}

export interface WindowRead {
  /** The newest `limit` events of the window, oldest first. */
  events: StoredEvent[];
  /** Whether the window held more events. */
  more: boolean;
  /** State keys (state-map form) changed in (stateAfter, upto], at most `cap`... */
  stateKeys: Set<string>;
  /** ...or more than that. */
  overflow: boolean;
}

/** Timelines and state changes of the rooms' windows, in one statement. */
export async function roomWindows(db: Db, windows: RoomWindow[], cap: number): Promise<Map<string, WindowRead>> {
  const out = new Map<string, WindowRead>();
  for (const w of windows) out.set(w.roomId, { events: [], more: false, stateKeys: new Set(), overflow: false });
  const ev = windows.filter((w) => w.limit > 0 && w.upto > w.after);
  const st = windows.filter((w): w is RoomWindow & { stateAfter: number } => w.stateAfter !== undefined && w.upto > w.stateAfter);
  if (ev.length === 0 && st.length === 0) return out;
  const r = (await db.execute(sql`
    select w.room_id, 'e' as kind, e.event_id, e.json, e.stream_pos, e.state_group, e.redacted_by, e.rejected, e.outlier, e.replaces_state, null::text as type, null::text as state_key, w.lim
    from unnest(${sql.param(ev.map((w) => w.roomId))}::text[], ${sql.param(ev.map((w) => w.after))}::bigint[], ${sql.param(ev.map((w) => w.upto))}::bigint[],
                ${sql.param(ev.map((w) => w.limit))}::int[]) w(room_id, after, upto, lim)
    cross join lateral (
      select e.event_id, e.json, e.stream_pos, e.state_group, e.redacted_by, e.rejected, e.outlier, e.replaces_state
      from events e where e.room_id = w.room_id and e.stream_pos > w.after and e.stream_pos <= w.upto
      order by e.stream_pos desc limit w.lim + 1) e
    union all
    select w.room_id, 's', null, null, null, null, null, null, null, null, e.type, e.state_key, null
    from unnest(${sql.param(st.map((w) => w.roomId))}::text[], ${sql.param(st.map((w) => w.stateAfter))}::bigint[], ${sql.param(st.map((w) => w.upto))}::bigint[]) w(room_id, after, upto)
    cross join lateral (
      select e.type, e.state_key from events e
      where e.room_id = w.room_id and e.stream_pos > w.after and e.stream_pos <= w.upto and e.state_key is not null
      order by e.stream_pos desc limit ${cap + 1}) e`)) as unknown as { rows: (Omit<EventRow, 'room_id'> & { room_id: string; kind: 'e' | 's'; type: string | null; state_key: string | null; lim: number | null })[] };
  for (const x of r.rows) {
    const entry = out.get(x.room_id)!;
    if (x.kind === 's') {
      if (entry.stateKeys.size >= cap) entry.overflow = true;
      else entry.stateKeys.add(`${x.type!.length}:${x.type}${x.state_key}`);
    } else if (entry.events.length >= Number(x.lim)) entry.more = true;
    else entry.events.push(stored(x));
  }
  for (const entry of out.values()) entry.events.reverse();
  return out;
}

/** What to read of one room's current state (see StateSelection in the sliding sync service). */
export interface StateRead {
  roomId: string;
  all: boolean;
  allButMembers: boolean;
  types: string[];
  pairs: [string, string][];
  keys: string[];
}

export interface StateSelectionRead {
  /** State-map key → event id, per room. */
  state: Map<string, Map<string, string>>;
  /** The events of those entries (read with them: a response needs nearly all of them). */
  events: Map<string, StoredEvent>;
}

/** Entries of the current state of rooms, and their events. */
export async function currentStateSelection(db: Db, reads: StateRead[]): Promise<StateSelectionRead> {
  const out: StateSelectionRead = { state: new Map(), events: new Map() };
  for (const r of reads) out.state.set(r.roomId, new Map());
  reads = reads.filter((r) => r.all || r.allButMembers || r.types.length || r.pairs.length || r.keys.length);
  if (reads.length === 0) return out;
  const all = reads.filter((r) => r.all).map((r) => r.roomId);
  const allButMembers = reads.filter((r) => r.allButMembers && !r.all).map((r) => r.roomId);
  const types = reads.flatMap((r) => r.types.map((t) => [r.roomId, t]));
  const pairs = reads.flatMap((r) => r.pairs.map(([t, k]) => [r.roomId, t, k]));
  const keys = reads.flatMap((r) => r.keys.map((k) => [r.roomId, k]));
  // One select per kind of selection, each walking the (room_id, type, state_key) primary key.
  const res = (await db.execute(sql`
    select s.type, s.state_key, e.event_id, e.room_id, e.json, e.stream_pos, e.state_group, e.redacted_by, e.rejected, e.outlier, e.replaces_state from (
    select rs.room_id, rs.type, rs.state_key, rs.event_id from room_state rs where rs.room_id = any(${sql.param(all)}::text[])
    union all
    select rs.room_id, rs.type, rs.state_key, rs.event_id from room_state rs where rs.room_id = any(${sql.param(allButMembers)}::text[]) and rs.type <> 'm.room.member'
    union all
    select rs.room_id, rs.type, rs.state_key, rs.event_id from unnest(${sql.param(types.map((x) => x[0]))}::text[], ${sql.param(types.map((x) => x[1]))}::text[]) w(room_id, type)
      join room_state rs on rs.room_id = w.room_id and rs.type = w.type
    union all
    select rs.room_id, rs.type, rs.state_key, rs.event_id
      from unnest(${sql.param(pairs.map((x) => x[0]))}::text[], ${sql.param(pairs.map((x) => x[1]))}::text[], ${sql.param(pairs.map((x) => x[2]))}::text[]) w(room_id, type, state_key)
      join room_state rs on rs.room_id = w.room_id and rs.type = w.type and rs.state_key = w.state_key
    union all
    select rs.room_id, rs.type, rs.state_key, rs.event_id from unnest(${sql.param(keys.map((x) => x[0]))}::text[], ${sql.param(keys.map((x) => x[1]))}::text[]) w(room_id, state_key)
      join room_state rs on rs.room_id = w.room_id and rs.state_key = w.state_key
    ) s join events e on e.event_id = s.event_id`)) as unknown as { rows: (EventRow & { type: string; state_key: string })[] };
  for (const x of res.rows) {
    out.state.get(x.room_id)!.set(`${x.type.length}:${x.type}${x.state_key}`, x.event_id);
    if (!out.events.has(x.event_id)) out.events.set(x.event_id, stored(x));
  }
  return out;
}

export interface MemberSummary {
  join: number;
  invite: number;
  /**
   * Heroes (as m.heroes in /sync): the first five other members by stream order, joined or invited
   * ones; when there are none, those who left or were banned.
   */
  heroes: string[];
}

/** Joined and invited member counts and heroes of rooms, in one statement. */
export async function memberSummaries(db: Db, roomIds: string[], userId: string, max = 5): Promise<Map<string, MemberSummary>> {
  const out = new Map<string, MemberSummary>(roomIds.map((id) => [id, { join: 0, invite: 0, heroes: [] }]));
  if (roomIds.length === 0) return out;
  const r = (await db.execute(sql`
    select r.id as room_id, c.joined, c.invited, h.user_id, h.present from unnest(${sql.param(roomIds)}::text[]) r(id)
    cross join lateral (
      select count(*) filter (where m.membership = 'join') as joined, count(*) filter (where m.membership = 'invite') as invited
      from room_memberships m where m.room_id = r.id and m.membership in ('join', 'invite')) c
    left join lateral (
      select m.user_id, m.membership in ('join', 'invite') as present from room_memberships m
      where m.room_id = r.id and m.user_id <> ${userId} and m.membership <> 'knock'
      order by case when m.membership in ('join', 'invite') then 0 else 1 end, m.stream_pos limit ${max}) h on true`)) as unknown as {
    rows: { room_id: string; joined: string; invited: string; user_id: string | null; present: boolean | null }[];
  };
  const candidates = new Map<string, { userId: string; present: boolean }[]>();
  for (const x of r.rows) {
    const entry = out.get(x.room_id)!;
    entry.join = Number(x.joined);
    entry.invite = Number(x.invited);
    if (x.user_id !== null) candidates.set(x.room_id, [...(candidates.get(x.room_id) ?? []), { userId: x.user_id, present: x.present === true }]);
  }
  for (const [roomId, rows] of candidates) out.get(roomId)!.heroes = (rows[0].present ? rows.filter((h) => h.present) : rows).map((h) => h.userId);
  return out;
}

export interface AccountDataRow {
  roomId: string;
  type: string;
  content: Record<string, unknown>;
  streamPos: number;
}

/**
 * The user's account data up to `upto`: global entries after `globalAfter`, and every entry of the
 * given rooms (callers keep what each room needs).
 */
export async function accountDataFor(db: Db, userId: string, globalAfter: number, upto: number, roomIds: string[]): Promise<AccountDataRow[]> {
  const r = (await db.execute(sql`
    select room_id, type, content, stream_pos from account_data
    where user_id = ${userId} and stream_pos <= ${upto}
      and ((room_id = '' and stream_pos > ${globalAfter}) or room_id = any(${sql.param(roomIds)}::text[]))`)) as unknown as {
    rows: { room_id: string; type: string; content: Record<string, unknown> | string; stream_pos: string }[];
  };
  return r.rows.map((x) => ({
    roomId: x.room_id,
    type: x.type,
    content: typeof x.content === 'string' ? (JSON.parse(x.content) as Record<string, unknown>) : x.content,
    streamPos: Number(x.stream_pos),
  }));
}

/** The content of the user's global account data of the given types (absent types are left out). */
export async function globalAccountData(db: Db, userId: string, types: string[]): Promise<Map<string, unknown>> {
  const r = (await db.execute(sql`
    select type, content from account_data where user_id = ${userId} and room_id = '' and type = any(${sql.param(types)}::text[])`)) as unknown as {
    rows: { type: string; content: unknown }[];
  };
  return new Map(r.rows.map((x) => [x.type, typeof x.content === 'string' ? (JSON.parse(x.content) as unknown) : x.content]));
}

export interface ReceiptRow {
  roomId: string;
  userId: string;
  receiptType: string;
  threadId: string;
  eventId: string;
  ts: number;
}

const privateFilter = (userId: string) => sql`(r.receipt_type <> 'm.read.private' or r.user_id = ${userId})`;

function receiptRows(rows: { room_id: string; user_id: string; receipt_type: string; thread_id: string; event_id: string; ts: string }[]): ReceiptRow[] {
  return rows.map((x) => ({ roomId: x.room_id, userId: x.user_id, receiptType: x.receipt_type, threadId: x.thread_id, eventId: x.event_id, ts: Number(x.ts) }));
}

/** Receipts that changed in each room after its own bound, up to `upto`; private ones only the user's. */
export async function receiptsAfter(db: Db, bounds: { roomId: string; after: number }[], upto: number, userId: string): Promise<ReceiptRow[]> {
  if (bounds.length === 0) return [];
  const r = (await db.execute(sql`
    select r.room_id, r.user_id, r.receipt_type, r.thread_id, r.event_id, r.ts from receipts r
    join unnest(${sql.param(bounds.map((b) => b.roomId))}::text[], ${sql.param(bounds.map((b) => b.after))}::bigint[]) b(room_id, after) on b.room_id = r.room_id
    where r.stream_pos > b.after and r.stream_pos <= ${upto} and ${privateFilter(userId)}`)) as unknown as { rows: Parameters<typeof receiptRows>[0] };
  return receiptRows(r.rows);
}

/** For rooms new to the client: the user's own receipts, and the receipts on the given events. */
export async function initialReceipts(db: Db, roomIds: string[], eventIds: string[], upto: number, userId: string): Promise<ReceiptRow[]> {
  if (roomIds.length === 0) return [];
  const r = (await db.execute(sql`
    select r.room_id, r.user_id, r.receipt_type, r.thread_id, r.event_id, r.ts from receipts r
    where r.room_id = any(${sql.param(roomIds)}::text[]) and r.stream_pos <= ${upto}
      and (r.user_id = ${userId} or r.event_id = any(${sql.param(eventIds)}::text[])) and ${privateFilter(userId)}`)) as unknown as { rows: Parameters<typeof receiptRows>[0] };
  return receiptRows(r.rows);
}

/** Rooms where the user's own read receipt moved in (after, upto] (their unread counts changed). */
export async function ownReadReceiptRooms(db: Db, userId: string, after: number, upto: number): Promise<Set<string>> {
  if (upto <= after) return new Set();
  const r = (await db.execute(sql`
    select distinct room_id from receipts
    where stream_pos > ${after} and stream_pos <= ${upto} and user_id = ${userId} and receipt_type in ('m.read', 'm.read.private')`)) as unknown as {
    rows: { room_id: string }[];
  };
  return new Set(r.rows.map((x) => x.room_id));
}

/** The rooms the spaces name as children in their current state (spec: m.space.child, with a `via`). */
export async function spaceChildren(db: Db, spaceIds: string[]): Promise<Set<string>> {
  if (spaceIds.length === 0) return new Set();
  const r = (await db.execute(sql`
    select rs.state_key, e.json from room_state rs join events e on e.event_id = rs.event_id
    where rs.room_id = any(${sql.param(spaceIds)}::text[]) and rs.type = 'm.space.child'`)) as unknown as { rows: { state_key: string; json: string }[] };
  const out = new Set<string>();
  for (const x of r.rows) if (hasValidVia(parsePdu(x.json).content)) out.add(x.state_key);
  return out;
}

/** Tag names of the user's rooms (m.tag room account data). */
export async function roomTags(db: Db, userId: string): Promise<Map<string, string[]>> {
  const r = (await db.execute(sql`
    select room_id, content from account_data where user_id = ${userId} and type = 'm.tag' and room_id <> ''`)) as unknown as {
    rows: { room_id: string; content: Record<string, unknown> | string }[];
  };
  const out = new Map<string, string[]>();
  for (const x of r.rows) {
    const content = typeof x.content === 'string' ? (JSON.parse(x.content) as Record<string, unknown>) : x.content;
    const tags = content.tags;
    if (tags && typeof tags === 'object' && !Array.isArray(tags)) out.set(x.room_id, Object.keys(tags));
  }
  return out;
}
