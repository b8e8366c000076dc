// Reading a room as one of its users sees it: history visibility per event, state now or when the
// user left, paginated history, context around an event, and member lists.
import { and, desc, eq, lte, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { events, roomMemberships } from '../../db/schema';
import { getEvent, getEvents, stateKeysAtGroups, stateOfGroup, timeline, type StoredEvent } from '../../db/queries/rooms';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { matchesFilter, type EventFilterSpec } from '../../matrix/event-filter';
import { historyVisibilityOf, isEventVisible, type VisibilityState } from '../../matrix/history-visibility';
import { splitStateKey, stateKey } from '../../matrix/state-map';
import type { ClientEvent } from '../../matrix/types';
import type { RoomModel } from './model';
import { serveEvents, type Viewer } from './serve';

const notFound = () => new MatrixError(404, ErrCode.NOT_FOUND, 'Event not found');
export const notMember = () => new MatrixError(403, ErrCode.FORBIDDEN, 'You are not allowed to view this room');

/** Longest chain of member events followed back to find a user's joins (a guard, not a real limit). */
const MAX_MEMBER_CHAIN = 1000;

/**
 * Where a user stands in a room for reading it. A user who left (or was banned) and then forgot
 * the room reads it as someone who never was in it (spec: POST /forget).
 */
export interface Reader {
  userId: string;
  /** The current membership; undefined when none, or forgotten. */
  membership: string | undefined;
  forgotten: boolean;
  /** Positions of the user's joins, read once when first needed. */
  joins?: Promise<number[]>;
}

export async function readerOf(db: Db, model: RoomModel, userId: string): Promise<Reader> {
  const membership = model.membership(userId);
  const forgotten = (membership === 'leave' || membership === 'ban') && (await isForgotten(db, model.roomId, userId));
  return { userId, membership: forgotten ? undefined : membership, forgotten };
}

async function isForgotten(db: Db, roomId: string, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ forgotten: roomMemberships.forgotten })
    .from(roomMemberships)
    .where(and(eq(roomMemberships.roomId, roomId), eq(roomMemberships.userId, userId)));
  return row?.forgotten === true;
}

/**
 * The positions of the user's joins to the room: their member events, followed back from the
 * current one through the state each replaced (one query, by primary key).
 */
async function joinPositions(db: Db, model: RoomModel, userId: string): Promise<number[]> {
  const current = model.stateEvent('m.room.member', userId);
  if (!current) return [];
  const r = (await db.execute(sql`
    with recursive chain(event_id, replaces, pos, membership, n) as (
      select e.event_id, e.replaces_state, e.stream_pos, e.json::json #>> '{content,membership}', 0
      from ${events} e where e.event_id = ${current.eventId} and e.room_id = ${model.roomId}
      union all
      select e.event_id, e.replaces_state, e.stream_pos, e.json::json #>> '{content,membership}', c.n + 1
      from ${events} e join chain c on e.event_id = c.replaces
      where e.room_id = ${model.roomId} and c.n < ${MAX_MEMBER_CHAIN}
    )
    select pos from chain where membership = 'join' and pos is not null`)) as unknown as { rows: { pos: string }[] };
  return r.rows.map((x) => Number(x.pos));
}

const isVisibilityEvent = (e: StoredEvent) => e.pdu.type === 'm.room.history_visibility' && e.pdu.state_key === '';
const isOwnMember = (e: StoredEvent, userId: string) => e.pdu.type === 'm.room.member' && e.pdu.state_key === userId;

/** Keeps the events the user may see (spec: "History visibility", Server behaviour). */
export async function visibleTo(db: Db, model: RoomModel, userId: string, list: StoredEvent[], reader?: Reader): Promise<StoredEvent[]> {
  if (list.length === 0) return [];
  reader ??= await readerOf(db, model, userId);
  const groups = [...new Set(list.map((e) => e.stateGroup).filter((g): g is number => g !== null))];
  const states = await stateKeysAtGroups(db, groups, [['m.room.history_visibility', ''], ['m.room.member', userId]]);
  const ids = new Set<string>();
  for (const m of states.values()) for (const id of m.values()) ids.add(id);
  // The state a history visibility event or the user's own member event replaced.
  for (const e of list) if (e.replacesState && (isVisibilityEvent(e) || isOwnMember(e, userId))) ids.add(e.replacesState);
  const stateEvents = await getEvents(db, [...ids]);
  const contentOf = (id: string | undefined) => (id ? stateEvents.get(id)?.pdu.content : undefined);
  const membershipIn = (content: Record<string, unknown> | undefined) => {
    // Someone who forgot the room reads it as a stranger.
    const m = reader.forgotten ? undefined : content?.membership;
    return typeof m === 'string' ? m : undefined;
  };
  const hvKey = stateKey('m.room.history_visibility', '');
  const memberKey = stateKey('m.room.member', userId);

  const decided = list.map((e) => {
    const at = e.stateGroup !== null ? states.get(e.stateGroup) : undefined;
    const state: VisibilityState = { visibility: historyVisibilityOf(contentOf(at?.get(hvKey))), membership: membershipIn(contentOf(at?.get(memberKey))) };
    let before: VisibilityState | undefined;
    if (isVisibilityEvent(e)) before = { ...state, visibility: historyVisibilityOf(contentOf(e.replacesState ?? undefined)) };
    else if (isOwnMember(e, userId)) before = { ...state, membership: membershipIn(contentOf(e.replacesState ?? undefined)) };
    const input = { at: state, before, ownMembership: isOwnMember(e, userId) };
    return { e, input, visible: isEventVisible({ ...input, joinedAfter: false }) };
  });
  // Rule 3 (shared, and the user joined at some point after the event). A user joined now joined
  // after every event before their join, and was joined at every event after it.
  const undecided = decided.filter((d) => !d.visible && (d.input.at.visibility === 'shared' || d.input.before?.visibility === 'shared'));
  if (undecided.length && !reader.forgotten) {
    const joinedNow = reader.membership === 'join';
    const lastJoin = joinedNow ? Infinity : Math.max(-1, ...(await (reader.joins ??= joinPositions(db, model, userId))));
    for (const d of undecided) d.visible = d.e.streamPos !== null && lastJoin > d.e.streamPos && isEventVisible({ ...d.input, joinedAfter: true });
  }
  return decided.filter((d) => d.visible).map((d) => d.e);
}

/** The user's current member event, for reading state "as of when they left". */
function memberEvent(model: RoomModel, userId: string) {
  return model.stateEvent('m.room.member', userId);
}

/** The stream position of the user's current member event (their leave or ban, for someone who left). */
async function memberPosition(db: Db, model: RoomModel, userId: string): Promise<number | undefined> {
  const event = memberEvent(model, userId);
  return event ? ((await getEvent(db, event.eventId))?.streamPos ?? undefined) : undefined;
}

const worldReadable = (model: RoomModel) => historyVisibilityOf(model.content('m.room.history_visibility')) === 'world_readable';
const departed = (membership: string | undefined) => membership === 'leave' || membership === 'ban';

/** The state a user may read: current if joined; as it was at their leave/ban otherwise (spec: GET /state). */
export async function readableState(db: Db, model: RoomModel, userId: string): Promise<StoredEvent[]> {
  const { membership } = await readerOf(db, model, userId);
  if (membership === 'join' || worldReadable(model)) {
    return [...(await getEvents(db, [...model.state.values()].map((e) => e.eventId))).values()];
  }
  if (departed(membership)) {
    const leave = await getEvent(db, memberEvent(model, userId)!.eventId);
    if (leave?.stateGroup == null) return [];
    const state = await stateOfGroup(db, leave.stateGroup);
    return [...(await getEvents(db, [...state.values()])).values()];
  }
  throw notMember();
}

export async function getState(db: Db, model: RoomModel, viewer: Viewer): Promise<ClientEvent[]> {
  return serveEvents(db, model.version, await readableState(db, model, viewer.userId), viewer);
}

export async function getStateEvent(db: Db, model: RoomModel, viewer: Viewer, type: string, key: string): Promise<ClientEvent> {
  const state = await readableState(db, model, viewer.userId);
  const found = state.find((e) => e.pdu.type === type && e.pdu.state_key === key);
  if (!found) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Event not found');
  return (await serveEvents(db, model.version, [found], viewer))[0];
}

export async function getRoomEvent(db: Db, model: RoomModel, viewer: Viewer, eventId: string): Promise<ClientEvent> {
  const e = await getEvent(db, eventId);
  if (!e || e.roomId !== model.roomId || e.rejected || e.outlier) throw notFound();
  if ((await visibleTo(db, model, viewer.userId, [e])).length === 0) throw notFound();
  return (await serveEvents(db, model.version, [e], viewer, { bundle: true }))[0];
}

/** Room pagination tokens: `t<position>` means "after the event at <position>". */
export function positionToken(pos: number): string {
  return `t${pos}`;
}

export function parsePositionToken(token: string): number | undefined {
  const m = /^[ts](\d{1,18})(?:_|$)/.exec(token);
  return m ? Number(m[1]) : undefined;
}

export interface MessagesQuery {
  from?: number;
  /** `from` as the client gave it: the response's `start` repeats it (spec: GET /messages). */
  fromToken?: string;
  to?: number;
  dir: 'b' | 'f';
  limit: number;
  filter?: EventFilterSpec;
}

/** Lazy-loaded members: the member events of the senders of the given events (spec: lazy loading). */
async function membersOfSenders(db: Db, model: RoomModel, list: StoredEvent[], viewer: Viewer): Promise<ClientEvent[]> {
  const senders = new Set(list.map((e) => e.pdu.sender));
  const ids = [...senders].map((s) => model.stateEvent('m.room.member', s)?.eventId).filter((x): x is string => x !== undefined);
  return serveEvents(db, model.version, [...(await getEvents(db, ids)).values()], viewer);
}

/** The events of a page and where the next page starts (undefined when history is exhausted). */
async function paginate(db: Db, model: RoomModel, reader: Reader, query: MessagesQuery): Promise<{ events: StoredEvent[]; next?: number }> {
  if (reader.membership === undefined && !worldReadable(model)) throw notMember();
  // Someone who left sees nothing after leaving.
  const ceiling = departed(reader.membership) ? await memberPosition(db, model, reader.userId) : undefined;

  const out: StoredEvent[] = [];
  let cursor = query.from;
  if (ceiling !== undefined && query.dir === 'b' && (cursor === undefined || cursor > ceiling)) cursor = ceiling;
  let exhausted = false;
  // Filters and visibility drop events, so fetch pages until the limit is met or history ends.
  for (let round = 0; out.length < query.limit && !exhausted && round < 20; round++) {
    const pageLimit = Math.max(query.limit * 2, 20);
    const page = await timeline(db, model.roomId, {
      dir: query.dir,
      limit: pageLimit,
      before: query.dir === 'b' ? (cursor === undefined ? undefined : cursor + 1) : undefined,
      after: query.dir === 'f' ? cursor ?? 0 : undefined,
    });
    if (page.length === 0) {
      exhausted = true;
      break;
    }
    let stop = false;
    const eligible: StoredEvent[] = [];
    for (const e of page) {
      const pos = e.streamPos!;
      if (query.to !== undefined && (query.dir === 'b' ? pos <= query.to : pos > query.to)) {
        stop = true;
        break;
      }
      if (ceiling !== undefined && pos > ceiling) {
        stop = query.dir === 'f';
        if (stop) break;
        continue;
      }
      eligible.push(e);
    }
    const visible = await visibleTo(db, model, reader.userId, eligible, reader);
    for (const e of visible) {
      if (out.length >= query.limit) break;
      if (matchesFilter(query.filter, { ...e.pdu, room_id: model.roomId })) out.push(e);
    }
    const last = out.length >= query.limit ? out[out.length - 1] : page[page.length - 1];
    cursor = query.dir === 'b' ? last.streamPos! - 1 : last.streamPos!;
    // A short page is the end of history, unless the limit cut it before its last event.
    if (stop || (page.length < pageLimit && (out.length < query.limit || last === page[page.length - 1]))) exhausted = true;
  }
  return { events: out, next: !exhausted ? cursor : undefined };
}

export async function messages(db: Db, model: RoomModel, viewer: Viewer, query: MessagesQuery) {
  const reader = await readerOf(db, model, viewer.userId);
  // Invited and knocking users may not read history (as Synapse), unless anyone may.
  if (reader.membership !== 'join' && !departed(reader.membership) && !worldReadable(model)) throw notMember();
  const page = await paginate(db, model, reader, query);
  const chunk = await serveEvents(db, model.version, page.events, viewer, { bundle: true });
  const state = query.filter?.lazy_load_members ? await membersOfSenders(db, model, page.events, viewer) : [];
  let start = query.fromToken;
  if (start === undefined) {
    // Without `from`, backwards pagination starts at the newest event the user may see.
    const newest = query.dir === 'f' ? 0 : departed(reader.membership) ? await memberPosition(db, model, viewer.userId) : undefined;
    start = positionToken(newest ?? (await latestPosition(db, model.roomId)));
  }
  const result: { start: string; end?: string; chunk: ClientEvent[]; state?: ClientEvent[] } = { start, chunk };
  if (page.next !== undefined) result.end = positionToken(page.next);
  if (state.length) result.state = state;
  return result;
}

export async function latestPosition(db: Db, roomId: string): Promise<number> {
  const [row] = await db
    .select({ p: events.streamPos })
    .from(events)
    .where(and(eq(events.roomId, roomId), sql`${events.streamPos} is not null`))
    .orderBy(desc(events.streamPos))
    .limit(1);
  return row?.p ?? 0;
}

export async function context(db: Db, model: RoomModel, viewer: Viewer, eventId: string, limit: number, filter?: EventFilterSpec) {
  const target = await getEvent(db, eventId);
  if (!target || target.roomId !== model.roomId || target.streamPos === null) throw notFound();
  const reader = await readerOf(db, model, viewer.userId);
  if ((await visibleTo(db, model, viewer.userId, [target], reader)).length === 0) throw notFound();
  const before = Math.floor(limit / 2);
  const after = limit - before;
  const b = await paginate(db, model, reader, { dir: 'b', from: target.streamPos - 1, limit: before, filter });
  const f = await paginate(db, model, reader, { dir: 'f', from: target.streamPos, limit: after, filter });
  // The state at the last event returned (spec: event_context.yaml).
  const last = f.events.length ? f.events[f.events.length - 1] : target;
  const stateAt = last.stateGroup !== null ? await stateOfGroup(db, last.stateGroup) : new Map<string, string>();
  let stateIds = [...stateAt.values()];
  if (filter?.lazy_load_members) {
    const senders = new Set([target.pdu.sender, ...b.events.map((e) => e.pdu.sender), ...f.events.map((e) => e.pdu.sender)]);
    stateIds = [...stateAt].filter(([k]) => {
      const [t, s] = splitStateKey(k);
      return t !== 'm.room.member' || senders.has(s);
    }).map(([, id]) => id);
  }
  const state = await serveEvents(db, model.version, [...(await getEvents(db, stateIds)).values()], viewer);
  return {
    event: (await serveEvents(db, model.version, [target], viewer, { bundle: true }))[0],
    events_before: await serveEvents(db, model.version, b.events, viewer, { bundle: true }),
    events_after: await serveEvents(db, model.version, f.events, viewer, { bundle: true }),
    // Paginating on from either token continues exactly where these events stop.
    start: positionToken(b.next ?? 0),
    end: positionToken(f.next ?? last.streamPos!),
    state,
  };
}

/** The group of the room state at a stream position (the last event at or before it). */
async function groupAt(db: Db, roomId: string, pos: number): Promise<number | null> {
  const [row] = await db
    .select({ g: events.stateGroup })
    .from(events)
    .where(and(eq(events.roomId, roomId), lte(events.streamPos, pos)))
    .orderBy(desc(events.streamPos))
    .limit(1);
  return row?.g ?? null;
}

export async function members(db: Db, model: RoomModel, viewer: Viewer, opts: { at?: number; membership?: string; notMembership?: string }) {
  const { membership } = await readerOf(db, model, viewer.userId);
  let at = opts.at;
  if (departed(membership)) {
    // Someone who left sees the members as of their leave.
    const leftAt = (await memberPosition(db, model, viewer.userId)) ?? 0;
    at = at === undefined ? leftAt : Math.min(at, leftAt);
  } else if (membership !== 'join' && !worldReadable(model)) {
    throw notMember();
  }
  let ids: string[];
  if (at === undefined) {
    ids = [...model.state.values()].filter((e) => e.pdu.type === 'm.room.member').map((e) => e.eventId);
  } else {
    const group = await groupAt(db, model.roomId, at);
    const state = group === null ? new Map<string, string>() : await stateOfGroup(db, group);
    ids = [...state].filter(([k]) => splitStateKey(k)[0] === 'm.room.member').map(([, id]) => id);
  }
  // Given both, membership and not_membership are an 'or' (spec: GET /members).
  const wanted = (m: unknown) => {
    const is = opts.membership !== undefined && m === opts.membership;
    const isNot = opts.notMembership !== undefined && m !== opts.notMembership;
    if (opts.membership !== undefined && opts.notMembership !== undefined) return is || isNot;
    return opts.membership !== undefined ? is : opts.notMembership !== undefined ? isNot : true;
  };
  const list = [...(await getEvents(db, ids)).values()].filter((e) => wanted(e.pdu.content.membership));
  return serveEvents(db, model.version, list, viewer);
}

export function joinedMembers(model: RoomModel, userId: string) {
  if (model.membership(userId) !== 'join') throw notMember();
  const joined: Record<string, { display_name?: string; avatar_url?: string }> = {};
  for (const e of model.state.values()) {
    if (e.pdu.type !== 'm.room.member' || e.pdu.content.membership !== 'join') continue;
    const entry: { display_name?: string; avatar_url?: string } = {};
    if (typeof e.pdu.content.displayname === 'string') entry.display_name = e.pdu.content.displayname;
    if (typeof e.pdu.content.avatar_url === 'string') entry.avatar_url = e.pdu.content.avatar_url;
    joined[e.pdu.state_key!] = entry;
  }
  return { joined };
}
