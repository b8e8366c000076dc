// The rooms part of /sync (spec: GET /sync, "rooms"): joined rooms with timeline, state,
// ephemeral events, account data and summary; invites and knocks with stripped state; rooms left.
import { currentStateEvents, getEvents, getRoom, stateOfGroup, timeline, type StoredEvent } from '../../db/queries/rooms';
import { recentEvents, stateGroupBefore, type MembershipRow } from '../../db/queries/sync';
import { matchesFilter, type EventFilterSpec } from '../../matrix/event-filter';
import { roomVersion } from '../../matrix/room-versions';
import { splitStateKey } from '../../matrix/state-map';
import type { ClientEvent, JsonObject } from '../../matrix/types';
import { visibleTo } from '../rooms/read';
import { RoomModel } from '../rooms/model';
import { serveEvents } from '../rooms/serve';
import { positionToken } from '../rooms/read';
import { fromScratch, type SyncContext } from './context';

const DEFAULT_TIMELINE_LIMIT = 10;

/** Events of the room state used for invites and knocks (spec: "Stripped state"). */
const STRIPPED_TYPES = new Set(['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic']);

export interface JoinedRoom {
  timeline: { events: ClientEvent[]; limited: boolean; prev_batch?: string };
  state: { events: ClientEvent[] };
  account_data: { events: { type: string; content: JsonObject }[] };
  ephemeral: { events: { type: string; content: JsonObject }[] };
  summary?: JsonObject;
  unread_notifications?: { notification_count: number; highlight_count: number };
  unread_thread_notifications?: Record<string, { notification_count: number; highlight_count: number }>;
}

export interface LeftRoom {
  timeline: { events: ClientEvent[]; limited: boolean; prev_batch?: string };
  state: { events: ClientEvent[] };
  account_data: { events: { type: string; content: JsonObject }[] };
}

function roomAllowed(filter: SyncContext['filter'], roomId: string): boolean {
  const r = filter.room;
  if (r?.not_rooms?.includes(roomId)) return false;
  if (r?.rooms && !r.rooms.includes(roomId)) return false;
  return true;
}

interface RoomTimeline {
  events: StoredEvent[];
  limited: boolean;
}

/** The model of a room as of now (only state and version are read here). */
async function loadModel(ctx: SyncContext, roomId: string): Promise<RoomModel | undefined> {
  const room = await getRoom(ctx.db, roomId);
  if (!room) return undefined;
  const state = new Map((await currentStateEvents(ctx.db, roomId)).map((e) => [`${e.pdu.type.length}:${e.pdu.type}${e.pdu.state_key}`, e]));
  return new RoomModel(roomId, roomVersion(room.version), state, [], room.currentStateGroup, room.currentChainLength);
}

/** Applies the timeline filter to a window of events, keeping the newest `limit`. */
function filterTimeline(list: StoredEvent[], more: boolean, filter: EventFilterSpec | undefined, limit: number, roomId: string): RoomTimeline {
  const kept = list.filter((e) => matchesFilter(filter, { ...e.pdu, room_id: roomId }));
  return { events: kept.slice(-limit), limited: more || kept.length > limit };
}

/** State events to send: the difference between two states (or all of `to`), minus the timeline's own. */
async function stateDelta(ctx: SyncContext, fromGroup: number | null | undefined, toGroup: number | null, timelineIds: Set<string>): Promise<string[]> {
  if (toGroup === null) return [];
  const to = await stateOfGroup(ctx.db, toGroup);
  const from = fromGroup == null ? new Map<string, string>() : await stateOfGroup(ctx.db, fromGroup);
  const ids: string[] = [];
  for (const [k, id] of to) if (from.get(k) !== id && !timelineIds.has(id)) ids.push(id);
  return ids;
}

/** Keeps the member events the client needs when lazy-loading: timeline senders and the user. */
function lazyMembers(ctx: SyncContext, roomId: string, state: StoredEvent[], timelineEvents: StoredEvent[], filter: EventFilterSpec | undefined): StoredEvent[] {
  if (!filter?.lazy_load_members) return state;
  const wanted = new Set(timelineEvents.map((e) => e.pdu.sender));
  wanted.add(ctx.userId);
  let sent = ctx.lazySent.get(roomId);
  if (!sent || fromScratch(ctx)) ctx.lazySent.set(roomId, (sent = new Set()));
  const out = state.filter((e) => {
    if (e.pdu.type !== 'm.room.member') return true;
    const target = e.pdu.state_key!;
    if (!wanted.has(target)) return false;
    if (!filter.include_redundant_members && sent!.has(target) && target !== ctx.userId) return false;
    return true;
  });
  for (const e of out) if (e.pdu.type === 'm.room.member') sent.add(e.pdu.state_key!);
  return out;
}

function summaryOf(model: RoomModel, userId: string): JsonObject {
  const joined = model.members('join');
  const invited = model.members('invite');
  const heroes = [...joined, ...invited].filter((u) => u !== userId).sort().slice(0, 5);
  return { 'm.heroes': heroes, 'm.joined_member_count': joined.length, 'm.invited_member_count': invited.length };
}

export interface RoomSections {
  join: Record<string, JoinedRoom>;
  invite: Record<string, { invite_state: { events: JsonObject[] } }>;
  knock: Record<string, { knock_state: { events: JsonObject[] } }>;
  leave: Record<string, LeftRoom>;
}

export async function roomSections(
  ctx: SyncContext,
  memberships: MembershipRow[],
  perRoomExtras: (roomId: string, joined: boolean) => Promise<{ accountData: { type: string; content: JsonObject }[]; ephemeral: { type: string; content: JsonObject }[]; counts?: Pick<JoinedRoom, 'unread_notifications' | 'unread_thread_notifications'> }>,
): Promise<RoomSections> {
  const out: RoomSections = { join: {}, invite: {}, knock: {}, leave: {} };
  const since = ctx.since;
  const timelineFilter = ctx.filter.room?.timeline;
  const stateFilter = ctx.filter.room?.state;
  const limit = timelineFilter?.limit ?? DEFAULT_TIMELINE_LIMIT;
  const changedSince = (row: MembershipRow) => since === undefined || row.streamPos > since.e;

  const joined = memberships.filter((r) => r.membership === 'join' && roomAllowed(ctx.filter, r.roomId));
  // Rooms joined before `since` only need what happened after it.
  const steady = joined.filter((r) => !changedSince(r) && !ctx.fullState);
  const fresh = joined.filter((r) => changedSince(r) || ctx.fullState);
  const steadyEvents = await recentEvents(ctx.db, steady.map((r) => r.roomId), since?.e ?? 0, ctx.upto.e, limit * 3);

  for (const row of [...steady, ...fresh]) {
    const isFresh = fresh.includes(row);
    let tl: RoomTimeline;
    let model: RoomModel | undefined;
    if (isFresh) {
      model = await loadModel(ctx, row.roomId);
      if (!model) continue;
      tl = await recentVisible(ctx, model, ctx.upto.e, 0, limit, timelineFilter);
    } else {
      const w = steadyEvents.get(row.roomId);
      tl = filterTimeline(w?.events ?? [], w?.more ?? false, timelineFilter, limit, row.roomId);
    }
    const extras = await perRoomExtras(row.roomId, true);
    if (!isFresh && tl.events.length === 0 && extras.accountData.length === 0 && extras.ephemeral.length === 0) continue;
    model ??= await loadModel(ctx, row.roomId);
    if (!model) continue;
    const { memberChange, ...body } = await roomBody(ctx, model, tl, isFresh, stateFilter);
    const room: JoinedRoom = { ...body, account_data: { events: extras.accountData }, ephemeral: { events: extras.ephemeral } };
    if (isFresh || memberChange) room.summary = summaryOf(model, ctx.userId);
    if (extras.counts) Object.assign(room, extras.counts);
    out.join[row.roomId] = room;
  }

  for (const row of memberships) {
    if (!roomAllowed(ctx.filter, row.roomId)) continue;
    if ((row.membership === 'invite' || row.membership === 'knock') && (changedSince(row) || ctx.fullState)) {
      const stripped = await strippedState(ctx, row);
      if (row.membership === 'invite') out.invite[row.roomId] = { invite_state: { events: stripped } };
      else out.knock[row.roomId] = { knock_state: { events: stripped } };
    }
    if ((row.membership === 'leave' || row.membership === 'ban') && !row.forgotten) {
      const include = since === undefined || ctx.fullState ? ctx.filter.room?.include_leave === true : row.streamPos > since.e;
      if (include) {
        const left = await leftRoom(ctx, row, limit, timelineFilter, stateFilter, perRoomExtras);
        if (left) out.leave[row.roomId] = left;
      }
    }
  }
  return out;
}

/** Stripped state at the user's invite or knock: the room's basics and the membership event itself. */
async function strippedState(ctx: SyncContext, row: MembershipRow): Promise<JsonObject[]> {
  const member = (await getEvents(ctx.db, [row.eventId])).get(row.eventId);
  if (!member || member.stateGroup === null) return [];
  const state = await stateOfGroup(ctx.db, member.stateGroup);
  const ids = [...state].filter(([k]) => STRIPPED_TYPES.has(splitStateKey(k)[0])).map(([, id]) => id);
  const inviter = member.pdu.sender;
  const inviterMember = state.get(`${'m.room.member'.length}:m.room.member${inviter}`);
  if (inviterMember && inviter !== ctx.userId) ids.push(inviterMember);
  const found = await getEvents(ctx.db, ids);
  const events = [...found.values(), member].map((e) => ({ type: e.pdu.type, state_key: e.pdu.state_key, content: e.pdu.content, sender: e.pdu.sender }));
  return events;
}

async function leftRoom(
  ctx: SyncContext,
  row: MembershipRow,
  limit: number,
  timelineFilter: EventFilterSpec | undefined,
  stateFilter: EventFilterSpec | undefined,
  perRoomExtras: Parameters<typeof roomSections>[2],
): Promise<LeftRoom | undefined> {
  const model = await loadModel(ctx, row.roomId);
  if (!model) return undefined;
  // The room as the user last saw it: up to and including their leave.
  const after = ctx.since && !ctx.fullState ? ctx.since.e : 0;
  const tl = await recentVisible(ctx, model, row.streamPos, after, limit, timelineFilter);
  const { memberChange: _, ...body } = await roomBody(ctx, model, tl, after === 0, stateFilter);
  return { ...body, account_data: { events: (await perRoomExtras(row.roomId, false)).accountData } };
}

/** The newest visible events in (after, upto], oldest first. */
async function recentVisible(ctx: SyncContext, model: RoomModel, upto: number, after: number, limit: number, filter: EventFilterSpec | undefined): Promise<RoomTimeline> {
  const window = await timeline(ctx.db, model.roomId, { dir: 'b', before: upto + 1, after, limit: limit * 3 + 1 });
  const more = window.length > limit * 3;
  const chronological = window.slice(0, limit * 3).reverse();
  return filterTimeline(await visibleTo(ctx.db, model, ctx.userId, chronological), more, filter, limit, model.roomId);
}

/**
 * Timeline and state of a room section. State is the whole state at the start of the timeline
 * for a room new to the client; otherwise only what changed in a gap (a limited timeline).
 */
async function roomBody(ctx: SyncContext, model: RoomModel, tl: RoomTimeline, whole: boolean, stateFilter: EventFilterSpec | undefined) {
  const first = tl.events[0];
  const timelineIds = new Set(tl.events.map((e) => e.eventId));
  let stateIds: string[] = [];
  if (whole) {
    const startGroup = first ? await stateGroupBefore(ctx.db, model.roomId, first.streamPos!) : model.stateGroup;
    stateIds = await stateDelta(ctx, undefined, startGroup, timelineIds);
  } else if (tl.limited && first) {
    const [fromGroup, toGroup] = await Promise.all([stateGroupBefore(ctx.db, model.roomId, ctx.since!.e + 1), stateGroupBefore(ctx.db, model.roomId, first.streamPos!)]);
    stateIds = await stateDelta(ctx, fromGroup, toGroup, timelineIds);
  }
  let stateEvents = [...(await getEvents(ctx.db, stateIds)).values()].filter((e) => matchesFilter(stateFilter, { ...e.pdu, room_id: model.roomId }));
  stateEvents = lazyMembers(ctx, model.roomId, stateEvents, tl.events, stateFilter);
  const viewer = { userId: ctx.userId, deviceId: ctx.deviceId };
  const body = {
    timeline: { events: await serveEvents(ctx.db, model.version, tl.events, viewer, { bundle: true }), limited: tl.limited } as LeftRoom['timeline'],
    state: { events: await serveEvents(ctx.db, model.version, stateEvents, viewer) },
    memberChange: [...tl.events, ...stateEvents].some((e) => e.pdu.type === 'm.room.member'),
  };
  if (first) body.timeline.prev_batch = positionToken(first.streamPos! - 1);
  return body;
}
