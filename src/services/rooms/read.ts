// Reading a room as one of its users sees it: history visibility per event, state now or when the
// user left, paginated history, context around an event, and member lists.
import { and, desc, eq, lte, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { events } from '../../db/schema';
import { getEvent, getEvents, stateKeysAtGroups, stateOfGroup, timeline, type StoredEvent } from '../../db/queries/rooms';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { matchesFilter, type EventFilterSpec } from '../../matrix/event-filter';
import { historyVisibilityOf, isEventVisible } from '../../matrix/history-visibility';
import { splitStateKey, stateKey } from '../../matrix/state-map';
import type { ClientEvent } from '../../matrix/types';
import type { RoomModel } from './model';
import { serveEvents, type Viewer } from './serve';

const notFound = () => new MatrixError(404, ErrCode.NOT_FOUND, 'Event not found');
export const notMember = () => new MatrixError(403, ErrCode.FORBIDDEN, 'You are not allowed to view this room');

/** Keeps the events the user may see (spec: "History visibility"). */
export async function visibleTo(db: Db, model: RoomModel, userId: string, list: StoredEvent[]): Promise<StoredEvent[]> {
  const groups = [...new Set(list.map((e) => e.stateGroup).filter((g): g is number => g !== null))];
  const states = await stateKeysAtGroups(db, groups, [['m.room.history_visibility', ''], ['m.room.member', userId]]);
  const ids = new Set<string>();
  for (const m of states.values()) for (const id of m.values()) ids.add(id);
  const stateEvents = await getEvents(db, [...ids]);
  const current = model.membership(userId);
  const hvKey = stateKey('m.room.history_visibility', '');
  const memberKey = stateKey('m.room.member', userId);
  return list.filter((e) => {
    const at = e.stateGroup !== null ? states.get(e.stateGroup) : undefined;
    const hv = at?.get(hvKey);
    const member = at?.get(memberKey);
    const membershipAtEvent = member ? stateEvents.get(member)?.pdu.content.membership : undefined;
    return isEventVisible({
      visibility: historyVisibilityOf(hv ? stateEvents.get(hv)?.pdu.content : undefined),
      membershipAtEvent: typeof membershipAtEvent === 'string' ? membershipAtEvent : undefined,
      currentMembership: current,
      ownMembership: e.pdu.type === 'm.room.member' && e.pdu.state_key === userId,
    });
  });
}

/** The user's current member event, for reading state "as of when they left". */
function memberEvent(model: RoomModel, userId: string) {
  return model.stateEvent('m.room.member', userId);
}

/** The state a user may read: current if joined; as it was at their leave/ban otherwise (spec: GET /state). */
export async function readableState(db: Db, model: RoomModel, userId: string): Promise<StoredEvent[]> {
  const membership = model.membership(userId);
  if (membership === 'join' || historyVisibilityOf(model.content('m.room.history_visibility')) === 'world_readable') {
    return [...(await getEvents(db, [...model.state.values()].map((e) => e.eventId))).values()];
  }
  if (membership === 'leave' || membership === 'ban') {
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
async function paginate(db: Db, model: RoomModel, viewer: Viewer, query: MessagesQuery): Promise<{ events: StoredEvent[]; next?: number }> {
  const membership = model.membership(viewer.userId);
  if (membership === undefined && historyVisibilityOf(model.content('m.room.history_visibility')) !== 'world_readable') throw notMember();
  // Someone who left sees nothing after leaving.
  let ceiling: number | undefined;
  if (membership !== 'join' && membership !== undefined) ceiling = (await getEvent(db, memberEvent(model, viewer.userId)!.eventId))?.streamPos ?? undefined;

  const out: StoredEvent[] = [];
  let cursor = query.from;
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
      if (ceiling !== undefined && pos > ceiling) continue;
      eligible.push(e);
    }
    const visible = await visibleTo(db, model, viewer.userId, eligible);
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
  const page = await paginate(db, model, viewer, query);
  const chunk = await serveEvents(db, model.version, page.events, viewer, { bundle: true });
  const state = query.filter?.lazy_load_members ? await membersOfSenders(db, model, page.events, viewer) : [];
  const start = query.from ?? (query.dir === 'b' ? await latestPosition(db, model.roomId) : 0);
  const result: { start: string; end?: string; chunk: ClientEvent[]; state?: ClientEvent[] } = { start: positionToken(start), chunk };
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
  if ((await visibleTo(db, model, viewer.userId, [target])).length === 0) throw notFound();
  const before = Math.floor(limit / 2);
  const after = limit - before;
  const b = await paginate(db, model, viewer, { dir: 'b', from: target.streamPos - 1, limit: before, filter });
  const f = await paginate(db, model, viewer, { dir: 'f', from: target.streamPos, limit: after, filter });
  const lastAfter = f.events.length ? f.events[f.events.length - 1].streamPos! : target.streamPos;
  const stateAt = target.stateGroup !== null ? await stateOfGroup(db, target.stateGroup) : new Map<string, string>();
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
    end: positionToken(f.next ?? lastAfter),
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
  const membership = model.membership(viewer.userId);
  let ids: string[];
  if (membership === 'join' && opts.at === undefined) {
    ids = [...model.state.values()].filter((e) => e.pdu.type === 'm.room.member').map((e) => e.eventId);
  } else {
    if (membership === undefined || membership === 'invite' || membership === 'knock') throw notMember();
    let at = opts.at;
    if (membership !== 'join') {
      const leftAt = (await getEvent(db, memberEvent(model, viewer.userId)!.eventId))?.streamPos ?? 0;
      at = at === undefined ? leftAt : Math.min(at, leftAt);
    }
    const group = await groupAt(db, model.roomId, at!);
    const state = group === null ? new Map<string, string>() : await stateOfGroup(db, group);
    ids = [...state].filter(([k]) => splitStateKey(k)[0] === 'm.room.member').map(([, id]) => id);
  }
  const list = [...(await getEvents(db, ids)).values()].filter((e) => {
    const m = e.pdu.content.membership;
    if (opts.membership !== undefined && m !== opts.membership) return false;
    if (opts.notMembership !== undefined && m === opts.notMembership) return false;
    return true;
  });
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
