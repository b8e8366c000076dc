// The rooms part of /sync (spec: GET /sync, "rooms"): joined rooms with timeline, state,
// ephemeral events, account data and summary; invites and knocks with stripped state; rooms left.
import { currentStateEvents, getEvents, getRoom, stateKeysAtGroups, stateOfGroup, timeline, type StoredEvent } from '../../db/queries/rooms';
import { recentEvents, stateGroupBefore, type MembershipRow, type SyncSnapshot } from '../../db/queries/sync';
import { matchesFilter, type EventFilterSpec } from '../../matrix/event-filter';
import { DEFAULT_ROOM_VERSION, roomVersion } from '../../matrix/room-versions';
import { splitStateKey, stateKey } from '../../matrix/state-map';
import type { JsonObject } from '../../matrix/types';
import { visibleTo } from '../rooms/read';
import { RoomModel } from '../rooms/model';
import { serveEvents } from '../rooms/serve';
import { positionToken } from '../rooms/read';
import type { SyncContext } from './context';
import { shapeEvents, type EventShape } from './event-format';
import { heroesOf, summaryOf } from './summary';
import { invitesBlocked } from '../moderation/invite-permission';

const DEFAULT_TIMELINE_LIMIT = 10;

/** The timeline limit a filter asks for. */
export const timelineLimit = (filter: SyncContext['filter']): number => filter.room?.timeline?.limit ?? DEFAULT_TIMELINE_LIMIT;
/** How many of a steady room's newest events are read to fill a timeline the filter may thin out. */
export const steadyWindow = (filter: SyncContext['filter']): number => timelineLimit(filter) * 3;

/** What the sync's snapshot query already read (sync.ts): steady rooms then need no query of their own. */
export type Preloaded = Pick<SyncSnapshot, 'recent' | 'rooms' | 'withChildren'>;

/** Events of the room state used for invites and knocks (spec: "Stripped state"). */
const STRIPPED_TYPES = new Set(['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic']);

/** One of the two, as the request's use_state_after asks. */
interface StateSection {
  state?: { events: JsonObject[] };
  state_after?: { events: JsonObject[] };
}

export interface JoinedRoom extends StateSection {
  timeline: { events: JsonObject[]; limited: boolean; prev_batch?: string };
  account_data: { events: { type: string; content: JsonObject }[] };
  ephemeral: { events: { type: string; content: JsonObject }[] };
  summary?: JsonObject;
  unread_notifications?: { notification_count: number; highlight_count: number };
  unread_thread_notifications?: Record<string, { notification_count: number; highlight_count: number }>;
}

export interface LeftRoom extends StateSection {
  timeline: { events: JsonObject[]; limited: boolean; prev_batch?: string };
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
  /** State events of the window that history visibility or the timeline filter kept out of it. */
  hidden: StoredEvent[];
  /** The position the timeline runs up to. */
  upto: number;
}

/** The model of a room as of now (only state and version are read here). */
/**
 * The room as sync needs it. A room the user has been joined to throughout needs no state (its
 * events are all visible, its counts come from the membership index): `withState` loads it only
 * for rooms new to the client, where visibility is decided.
 */
async function loadModel(ctx: SyncContext, roomId: string, withState = true, known?: Preloaded['rooms']): Promise<RoomModel | undefined> {
  const room = (!withState && known?.get(roomId)) || (await getRoom(ctx.db, roomId));
  if (!room) return undefined;
  const state = withState ? new Map((await currentStateEvents(ctx.db, roomId)).map((e) => [stateKey(e.pdu.type, e.pdu.state_key!), e])) : new Map();
  return new RoomModel(roomId, roomVersion(room.version), state, [], room.currentStateGroup, room.currentChainLength);
}

/**
 * The timeline of a window of events (oldest first): the newest `limit` of those the user may see
 * and the filter lets through, and the state events among the rest that were not merely cut off.
 */
function filterTimeline(window: StoredEvent[], visible: StoredEvent[], more: boolean, filter: EventFilterSpec | undefined, limit: number, roomId: string, upto: number): RoomTimeline {
  const kept = visible.filter((e) => matchesFilter(filter, { ...e.pdu, room_id: roomId }));
  const keptIds = new Set(kept.map((e) => e.eventId));
  const hidden = window.filter((e) => typeof e.pdu.state_key === 'string' && !keptIds.has(e.eventId));
  return { events: kept.slice(-limit), limited: more || kept.length > limit, hidden, upto };
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

const keyOf = (e: StoredEvent) => stateKey(e.pdu.type, e.pdu.state_key!);
const isMember = (e: StoredEvent) => e.pdu.type === 'm.room.member';

/**
 * Adds the state changes the timeline left out (as Synapse does): for each key the timeline does
 * not touch, the newest of the state list's event and the hidden ones.
 */
function withHiddenState(state: StoredEvent[], tl: RoomTimeline): StoredEvent[] {
  if (tl.hidden.length === 0) return state;
  const inTimeline = new Set(tl.events.filter((e) => typeof e.pdu.state_key === 'string').map(keyOf));
  const byKey = new Map(state.map((e) => [keyOf(e), e]));
  for (const h of tl.hidden) {
    const k = keyOf(h);
    if (inTimeline.has(k)) continue;
    const current = byKey.get(k);
    if (!current || (current.streamPos ?? 0) < (h.streamPos ?? 0)) byKey.set(k, h);
  }
  return [...byKey.values()];
}

/**
 * Lazy loading (spec: "Lazy-loading room members", sync.yaml): of the member events, those of the
 * timeline's senders, of the heroes, and of the user when the whole state is sent, each once per
 * device unless include_redundant_members; plus every membership change the client would
 * otherwise miss (in a limited sync's gap, or kept out of the timeline).
 */
async function lazyMembers(
  ctx: SyncContext,
  model: RoomModel,
  state: StoredEvent[],
  o: { whole: boolean; changes: Set<string>; timeline: StoredEvent[]; heroes: string[]; startGroup: () => Promise<number | null>; filter: EventFilterSpec },
): Promise<StoredEvent[]> {
  let sent = ctx.lazySent.get(model.roomId);
  if (!sent || o.whole) ctx.lazySent.set(model.roomId, (sent = new Set()));
  const redundant = o.filter.include_redundant_members === true;
  const wanted = new Set([...o.timeline.map((e) => e.pdu.sender), ...o.heroes]);
  if (o.whole) wanted.add(ctx.userId);
  const needed = (target: string) => wanted.has(target) && (redundant || !sent!.has(target));
  const out: StoredEvent[] = [];
  const covered = new Set(o.timeline.filter(isMember).map((e) => e.pdu.state_key!));
  for (const e of state) {
    if (!isMember(e)) {
      out.push(e);
      continue;
    }
    const target = e.pdu.state_key!;
    if (o.changes.has(e.eventId) || needed(target)) {
      out.push(e);
      covered.add(target);
    }
  }
  // The whole state holds every member at the timeline's start; a delta may not: look them up.
  const missing = o.whole ? [] : [...wanted].filter((u) => !covered.has(u) && needed(u));
  const group = missing.length ? await o.startGroup() : null;
  if (group !== null) {
    const at = (await stateKeysAtGroups(ctx.db, [group], missing.map((u) => ['m.room.member', u] as [string, string]))).get(group);
    const found = await getEvents(ctx.db, [...(at?.values() ?? [])]);
    for (const e of found.values()) if (matchesFilter(o.filter, { ...e.pdu, room_id: model.roomId })) out.push(e);
  }
  for (const e of [...out, ...o.timeline]) if (isMember(e)) sent.add(e.pdu.state_key!);
  return out;
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
  pre?: Preloaded,
): Promise<RoomSections> {
  const out: RoomSections = { join: {}, invite: {}, knock: {}, leave: {} };
  const since = ctx.since;
  const timelineFilter = ctx.filter.room?.timeline;
  const stateFilter = ctx.filter.room?.state;
  const limit = timelineLimit(ctx.filter);
  const changedSince = (row: MembershipRow) => since === undefined || row.streamPos > since.e;

  const joined = memberships.filter((r) => r.membership === 'join' && roomAllowed(ctx.filter, r.roomId));
  // Rooms joined before `since` only need what happened after it; full_state sends their whole
  // state, but the timeline still starts after `since` (sync.yaml: full_state).
  const steady = joined.filter((r) => !changedSince(r) && !ctx.fullState);
  const fresh = joined.filter((r) => changedSince(r) || ctx.fullState);
  const steadyEvents = pre?.recent ?? (await recentEvents(ctx.db, steady.map((r) => r.roomId), since?.e ?? 0, ctx.upto.e, steadyWindow(ctx.filter)));

  for (const row of [...steady, ...fresh]) {
    const isFresh = fresh.includes(row);
    let tl: RoomTimeline;
    let model: RoomModel | undefined;
    if (isFresh) {
      model = await loadModel(ctx, row.roomId);
      if (!model) continue;
      tl = await recentVisible(ctx, model, ctx.upto.e, changedSince(row) ? 0 : since!.e, limit, timelineFilter);
    } else {
      // Joined throughout: every event since `since` is visible to the user.
      const w = steadyEvents.get(row.roomId);
      tl = filterTimeline(w?.events ?? [], w?.events ?? [], w?.more ?? false, timelineFilter, limit, row.roomId, ctx.upto.e);
    }
    const extras = await perRoomExtras(row.roomId, true);
    if (!isFresh && tl.events.length === 0 && tl.hidden.length === 0 && extras.accountData.length === 0 && extras.ephemeral.length === 0) continue;
    model ??= await loadModel(ctx, row.roomId, false, pre?.rooms);
    if (!model) continue;
    // A steady room's timeline is bundled only if the snapshot saw children of its events.
    const bundle = isFresh || !pre || tl.events.some((e) => pre.withChildren.has(e.eventId));
    const body = await roomBody(ctx, model, tl, isFresh, stateFilter, true, bundle);
    const room: JoinedRoom = { timeline: body.timeline, ...body.stateSection, account_data: { events: extras.accountData }, ephemeral: { events: extras.ephemeral } };
    if (body.summary) room.summary = body.summary;
    if (extras.counts) Object.assign(room, extras.counts);
    out.join[row.roomId] = room;
  }

  // Invite blocking (MSC4380, src/services/moderation/invite-permission.ts): no pending invite is served while it lasts.
  const hideInvites = memberships.some((r) => r.membership === 'invite') && (await invitesBlocked(ctx.db, ctx.userId));

  for (const row of memberships) {
    if (!roomAllowed(ctx.filter, row.roomId)) continue;
    if (row.membership === 'invite' && hideInvites) continue;
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
    // A room forgotten since `since` (at once, with FORGET_ROOMS_ON_LEAVE): the client still learns
    // that it left, from the membership event alone, as Synapse sends newly left rooms.
    if ((row.membership === 'leave' || row.membership === 'ban') && row.forgotten && since !== undefined && !ctx.fullState && row.streamPos > since.e) {
      const left = await leftRemoteInvite(ctx, row);
      if (left) out.leave[row.roomId] = left;
    }
  }
  return out;
}

/** Stripped state at the user's invite or knock: the room's basics and the membership event itself. */
async function strippedState(ctx: SyncContext, row: MembershipRow): Promise<JsonObject[]> {
  const member = (await getEvents(ctx.db, [row.eventId])).get(row.eventId);
  if (!member) return [];
  const own = { type: member.pdu.type, state_key: member.pdu.state_key, content: member.pdu.content, sender: member.pdu.sender };
  if (member.stateGroup === null) {
    // An invite from another server to a room we are not in: the stripped state it came with.
    const unsigned = member.pdu.unsigned as JsonObject | undefined;
    const sent = unsigned?.invite_room_state ?? unsigned?.knock_room_state;
    return [...(Array.isArray(sent) ? (sent as JsonObject[]) : []), own];
  }
  const state = await stateOfGroup(ctx.db, member.stateGroup);
  const ids = [...state].filter(([k]) => STRIPPED_TYPES.has(splitStateKey(k)[0])).map(([, id]) => id);
  const inviter = member.pdu.sender;
  const inviterMember = state.get(stateKey('m.room.member', inviter));
  if (inviterMember && inviter !== ctx.userId) ids.push(inviterMember);
  const found = await getEvents(ctx.db, ids);
  return [...[...found.values()].map((e) => ({ type: e.pdu.type, state_key: e.pdu.state_key, content: e.pdu.content, sender: e.pdu.sender })), own];
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
  if (!model) return leftRemoteInvite(ctx, row);
  // The room as the user last saw it: up to and including their leave (after `since`, even with full_state).
  const after = ctx.since?.e ?? 0;
  const tl = await recentVisible(ctx, model, row.streamPos, after, limit, timelineFilter);
  const body = await roomBody(ctx, model, tl, after === 0 || ctx.fullState, stateFilter, false);
  return { timeline: body.timeline, ...body.stateSection, account_data: { events: (await perRoomExtras(row.roomId, false)).accountData } };
}

/**
 * A rejected invite to a room this server never joined (another server's room): all the user
 * ever had of it is the invite and their leave, which is the timeline.
 */
async function leftRemoteInvite(ctx: SyncContext, row: MembershipRow): Promise<LeftRoom | undefined> {
  const leave = (await getEvents(ctx.db, [row.eventId])).get(row.eventId);
  if (!leave) return undefined;
  const served = await serveEvents(ctx.db, roomVersion(DEFAULT_ROOM_VERSION), [leave], { userId: ctx.userId, deviceId: ctx.deviceId });
  return { timeline: { events: served as unknown as JsonObject[], limited: false }, ...stateSection(ctx, []), account_data: { events: [] } };
}

/** The newest visible events in (after, upto], oldest first. */
async function recentVisible(ctx: SyncContext, model: RoomModel, upto: number, after: number, limit: number, filter: EventFilterSpec | undefined): Promise<RoomTimeline> {
  const window = await timeline(ctx.db, model.roomId, { dir: 'b', before: upto + 1, after, limit: limit * 3 + 1 });
  const more = window.length > limit * 3;
  const chronological = window.slice(0, limit * 3).reverse();
  return filterTimeline(chronological, await visibleTo(ctx.db, model, ctx.userId, chronological), more, filter, limit, model.roomId, upto);
}

const stateSection = (ctx: SyncContext, events: JsonObject[]): StateSection => (ctx.useStateAfter ? { state_after: { events } } : { state: { events } });

/**
 * Timeline, state and summary of a room section. State is the whole state at the start of the
 * timeline for a room new to the client (`whole`); otherwise only what changed in a gap (a
 * limited timeline). Either way it also carries the state changes the timeline left out.
 */
async function roomBody(ctx: SyncContext, model: RoomModel, tl: RoomTimeline, whole: boolean, stateFilter: EventFilterSpec | undefined, withSummary: boolean, bundle = true) {
  const first = tl.events[0];
  const timelineIds = new Set(tl.events.map((e) => e.eventId));
  // The state group at the timeline's start, read only when needed (a steady room's sync has no use for it).
  let start: Promise<number | null> | undefined;
  // A room joined over federation has no event in the stream before our join: its state before the
  // timeline is then that of the first timeline event (whose own entry the timeline carries).
  const startGroup = () =>
    (start ??= stateGroupBefore(ctx.db, model.roomId, first ? first.streamPos! : tl.upto + 1).then((g) => g ?? first?.stateGroup ?? model.stateGroup));
  let stateIds: string[] = [];
  let lookupGroup = startGroup;
  if (ctx.useStateAfter) {
    // state_after (v1.16): the changes up to the timeline's end, its own state events included,
    // since clients then take state from this list only. Unchanged unless the window held state.
    let end: Promise<number | null> | undefined;
    const endGroup = () => (end ??= stateGroupBefore(ctx.db, model.roomId, tl.upto + 1).then((g) => g ?? tl.events.at(-1)?.stateGroup ?? model.stateGroup));
    lookupGroup = endGroup;
    const stateInWindow = tl.hidden.length > 0 || tl.events.some((e) => typeof e.pdu.state_key === 'string');
    if (whole) stateIds = await stateDelta(ctx, undefined, await endGroup(), new Set());
    else if (tl.limited || stateInWindow) stateIds = await stateDelta(ctx, await stateGroupBefore(ctx.db, model.roomId, ctx.since!.e + 1), await endGroup(), new Set());
  } else if (whole) {
    stateIds = await stateDelta(ctx, undefined, await startGroup(), timelineIds);
  } else if (tl.limited) {
    const fromGroup = await stateGroupBefore(ctx.db, model.roomId, ctx.since!.e + 1);
    stateIds = await stateDelta(ctx, fromGroup, await startGroup(), timelineIds);
  }
  const found = [...(await getEvents(ctx.db, stateIds)).values()];
  // Membership changes the client would not see otherwise: of the gap, or kept out of the timeline.
  const changes = new Set([...(whole ? [] : found), ...(ctx.useStateAfter ? [] : tl.hidden)].filter(isMember).map((e) => e.eventId));
  let stateEvents = (ctx.useStateAfter ? found : withHiddenState(found, tl)).filter((e) => matchesFilter(stateFilter, { ...e.pdu, room_id: model.roomId }));

  // The summary comes with a room new to the client and whenever the membership changed.
  const memberChange = tl.events.some(isMember) || stateEvents.some(isMember);
  const heroes = withSummary && (whole || memberChange) ? await heroesOf(ctx.db, model.roomId, ctx.userId) : undefined;
  if (stateFilter?.lazy_load_members) {
    stateEvents = await lazyMembers(ctx, model, stateEvents, { whole, changes, timeline: tl.events, heroes: heroes ?? [], startGroup: lookupGroup, filter: stateFilter });
  }

  const viewer = { userId: ctx.userId, deviceId: ctx.deviceId };
  const shape: EventShape = { format: ctx.filter.event_format, fields: ctx.filter.event_fields };
  const servedTimeline = await serveEvents(ctx.db, model.version, tl.events, viewer, { bundle });
  const servedState = await serveEvents(ctx.db, model.version, stateEvents, viewer);
  const body: { timeline: LeftRoom['timeline']; stateSection: StateSection; summary?: JsonObject } = {
    timeline: { events: shapeEvents(servedTimeline, tl.events, model.version, shape), limited: tl.limited },
    stateSection: stateSection(ctx, shapeEvents(servedState, stateEvents, model.version, shape)),
  };
  if (first) body.timeline.prev_batch = positionToken(first.streamPos! - 1);
  if (heroes) body.summary = await summaryOf(ctx.db, model.roomId, heroes);
  return body;
}
