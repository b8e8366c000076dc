// The room results of a sliding sync response (MSC4186 "Room results", as Synapse fills them):
// for rooms the user is or was in, timeline, required_state, name, avatar, heroes, counts and
// bump_stamp; for invites and knocks, stripped state. A room new to the connection (`initial`)
// gets everything its config asks for; otherwise only what changed since the connection last sent it.
import type { PooledDb } from '../../db/client';
import { stateOfGroup, type StoredEvent } from '../../db/queries/rooms';
import { unreadCountsForRooms } from '../../db/queries/push';
import { currentStateSelection, eventsByIds, memberSummaries, roomVersions, roomWindows, type Activity, type MembershipRow, type WindowRead } from '../../db/queries/sliding-sync';
import { DEFAULT_ROOM_VERSION, getRoomVersion, type RoomVersion } from '../../matrix/room-versions';
import { splitStateKey, stateKey } from '../../matrix/state-map';
import type { ClientEvent, JsonObject } from '../../matrix/types';
import { RoomModel } from '../rooms/model';
import { positionToken, visibleTo } from '../rooms/read';
import { serveEvents } from '../rooms/serve';
import { MAX_LAZY_MEMBERS, type RoomState } from './connection';
import type { RoomConfig } from './request';
import { isLazy, matchesStateKey, sameRequiredState, selectionOf, type StateSelection } from './required-state';
import type { Pos } from './token';

/** State changes read per room at most; past this the room is sent afresh (`initial`). */
const MAX_STATE_CHANGES = 1000;
/** Events of the room state shown for invites and knocks (spec: "Stripped state"). */
const STRIPPED_TYPES = new Set(['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic']);

const MEMBER = 'm.room.member';
const NAME_KEY = stateKey('m.room.name', '');
const AVATAR_KEY = stateKey('m.room.avatar', '');
const memberKey = (userId: string) => stateKey(MEMBER, userId);
const isMemberKey = (k: string) => splitStateKey(k)[0] === MEMBER;

export interface Hero {
  user_id: string;
  displayname?: string;
  avatar_url?: string;
}

export interface RoomResult {
  name?: string | null;
  avatar?: string | null;
  heroes?: Hero[];
  initial?: true;
  is_dm?: true;
  membership?: string;
  lists?: string[];
  required_state?: JsonObject[];
  timeline?: JsonObject[];
  prev_batch?: string;
  limited?: boolean;
  num_live?: number;
  unstable_expanded_timeline?: true;
  bump_stamp?: number;
  joined_count?: number;
  invited_count?: number;
  notification_count?: number;
  highlight_count?: number;
  invite_state?: JsonObject[];
}

/** A room this response may carry, and what the connection had of it. */
export interface RoomWork {
  roomId: string;
  row: MembershipRow;
  config: RoomConfig;
  lists: string[];
  prev?: RoomState;
  /** Sent afresh: new to the connection, or newly joined. */
  initial: boolean;
  /** The user's read receipt moved, so the unread counts changed. */
  countsChanged: boolean;
}

export interface RoomsContext {
  db: PooledDb;
  userId: string;
  deviceId: string;
  /** Stream positions the response runs to. */
  to: { e: number; m: number };
  /** The pos of the request (undefined for a new connection). */
  from?: Pos;
  activity: ReadonlyMap<string, Activity>;
  dms: ReadonlySet<string>;
}

export interface RoomsOutcome {
  results: Map<string, RoomResult>;
  /** What the connection has of each room after this response. */
  states: Map<string, RoomState>;
}

const stripped = (row: MembershipRow) => row.membership === 'invite' || row.membership === 'knock';

export async function buildRooms(ctx: RoomsContext, works: RoomWork[]): Promise<RoomsOutcome> {
  const out: RoomsOutcome = { results: new Map(), states: new Map() };
  await strippedRooms(ctx, works.filter((w) => stripped(w.row)), out);
  await fullRooms(ctx, works.filter((w) => !stripped(w.row)), out);
  return out;
}

function common(ctx: RoomsContext, w: RoomWork, initial: boolean): RoomResult {
  const r: RoomResult = {};
  if (initial) r.initial = true;
  if (ctx.dms.has(w.roomId)) r.is_dm = true;
  r.membership = w.row.membership;
  if (w.lists.length) r.lists = w.lists;
  return r;
}

/** Invites and knocks: the stripped state the user was given, and their own membership event. */
async function strippedRooms(ctx: RoomsContext, works: RoomWork[], out: RoomsOutcome): Promise<void> {
  if (works.length === 0) return;
  const members = await eventsByIds(ctx.db, works.map((w) => w.row.eventId));
  for (const w of works) {
    const member = members.get(w.row.eventId);
    const events: JsonObject[] = [];
    if (member) {
      const given = member.pdu.unsigned?.invite_room_state ?? member.pdu.unsigned?.knock_room_state;
      if (Array.isArray(given)) events.push(...(given as JsonObject[]));
      else if (member.stateGroup !== null) events.push(...(await localStrippedState(ctx, member)));
      events.push(strip(member));
    }
    out.results.set(w.roomId, { ...common(ctx, w, w.initial), invite_state: events, bump_stamp: w.row.streamPos });
    out.states.set(w.roomId, { ...w.prev, membership: w.row.membership, upto: ctx.to.e, config: w.config });
  }
}

const strip = (e: StoredEvent): JsonObject => ({ type: e.pdu.type, state_key: e.pdu.state_key, content: e.pdu.content, sender: e.pdu.sender });

async function localStrippedState(ctx: RoomsContext, member: StoredEvent): Promise<JsonObject[]> {
  const state = await stateOfGroup(ctx.db, member.stateGroup!);
  const ids = [...state].filter(([k]) => STRIPPED_TYPES.has(splitStateKey(k)[0])).map(([, id]) => id);
  const inviter = state.get(memberKey(member.pdu.sender));
  if (inviter && member.pdu.sender !== ctx.userId) ids.push(inviter);
  return [...(await eventsByIds(ctx.db, ids)).values()].map(strip);
}

interface Plan {
  w: RoomWork;
  initial: boolean;
  /** The timeline limit grew: history already sent may come again (unstable_expanded_timeline). */
  expanded: boolean;
  /** Events after `after` and up to `bound` are the room's news; the user sees nothing past `bound`. */
  after: number;
  bound: number;
  version?: RoomVersion;
  changed: Set<string>;
  timeline: StoredEvent[];
  limited: boolean;
  lazy: boolean;
  /** Members the timeline needs (lazy loading): its senders and the targets of its member events. */
  needed: Set<string>;
  state: Map<string, string>;
  /** The state keys to return. */
  required: string[];
}

/** Rooms the user is in or was in: timeline and state as of now, or of their leave. */
async function fullRooms(ctx: RoomsContext, works: RoomWork[], out: RoomsOutcome): Promise<void> {
  if (works.length === 0) return;
  const { db, userId, to } = ctx;
  const versions = await roomVersions(db, works.map((w) => w.roomId));
  const plans: Plan[] = works.map((w) => {
    const prevLimit = w.prev?.config?.timelineLimit;
    const expanded = !w.initial && prevLimit !== undefined && prevLimit < w.config.timelineLimit;
    const version = versions.get(w.roomId);
    return {
      w,
      initial: w.initial,
      expanded,
      after: w.initial ? 0 : (w.prev?.upto ?? 0),
      bound: w.row.membership === 'join' ? to.e : w.row.streamPos,
      version: version ? getRoomVersion(version) : undefined,
      changed: new Set(),
      timeline: [],
      limited: false,
      lazy: isLazy(w.config.requiredState),
      needed: new Set(),
      state: new Map(),
      required: [],
    };
  });

  // The news of each room: its timeline, and what changed in its state since it was last sent.
  // Too many state changes and the room starts afresh.
  const window = (p: Plan, withState: boolean) => ({
    roomId: p.w.roomId,
    after: p.initial || p.expanded ? 0 : p.after,
    upto: p.bound,
    limit: p.version ? p.w.config.timelineLimit : 0,
    stateAfter: withState && !p.initial ? p.after : undefined,
  });
  const read = await roomWindows(db, plans.map((p) => window(p, true)), MAX_STATE_CHANGES);
  const afresh: Plan[] = [];
  for (const p of plans) {
    if (p.initial) continue;
    const r = read.get(p.w.roomId)!;
    if (!r.overflow) p.changed = r.stateKeys;
    else {
      p.initial = true;
      p.expanded = false;
      p.after = 0;
      afresh.push(p);
    }
  }
  if (afresh.length) for (const [roomId, r] of await roomWindows(db, afresh.map((p) => window(p, false)), MAX_STATE_CHANGES)) read.set(roomId, r);
  await readTimelines(ctx, plans, read);

  // Heroes and member counts come with a room new to the client and when the membership changed.
  const heroRooms = plans.filter((p) => p.w.row.membership === 'join' && (p.initial || [...p.changed].some(isMemberKey))).map((p) => p.w.roomId);
  const counts = await memberSummaries(db, heroRooms, userId);
  const heroes = new Map([...counts].map(([roomId, c]) => [roomId, c.heroes]));

  // Current state comes with its events; the state at a leave is read by id.
  const events = await readState(ctx, plans, heroes);
  const ids = new Set<string>();
  for (const p of plans) {
    p.required = requiredKeys(ctx, p);
    for (const k of [...p.required, ...metaKeys(p, heroes)]) {
      const id = p.state.get(k);
      if (id && !events.has(id)) ids.add(id);
    }
  }
  for (const [id, e] of await eventsByIds(db, [...ids])) events.set(id, e);

  const joined = plans.filter((p) => p.w.row.membership === 'join').map((p) => p.w.roomId);
  const unread = await unreadCountsForRooms(db, userId, joined, false);

  const served = await serveAll(ctx, plans, events);
  for (const p of plans) {
    const roomId = p.w.roomId;
    const result: RoomResult = common(ctx, p.w, p.initial);
    const required = p.required;
    const requiredEvents = required.map((k) => served.get(p.state.get(k)!)).filter((e): e is JsonObject => e !== undefined);
    if (requiredEvents.length) result.required_state = requiredEvents;

    if (p.w.config.timelineLimit > 0 && p.version) {
      const timeline = p.timeline.map((e) => served.get(e.eventId)).filter((e): e is JsonObject => e !== undefined);
      if (timeline.length) result.timeline = timeline;
      result.limited = p.limited;
      result.prev_batch = positionToken(p.timeline.length ? p.timeline[0].streamPos! - 1 : p.bound);
      const from = ctx.from?.e;
      result.num_live = from === undefined ? 0 : p.timeline.filter((e) => e.streamPos! > from).length;
      if (p.expanded) result.unstable_expanded_timeline = true;
    }

    const content = (k: string) => (p.state.has(k) ? events.get(p.state.get(k)!)?.pdu.content : undefined);
    const nameChanged = p.initial || p.changed.has(NAME_KEY);
    const name = content(NAME_KEY)?.name;
    const hasName = typeof name === 'string' && name !== '';
    if (nameChanged && (hasName || !p.initial)) result.name = hasName ? name : null;
    if (p.initial || p.changed.has(AVATAR_KEY)) {
      const url = content(AVATAR_KEY)?.url;
      const hasAvatar = typeof url === 'string' && url !== '';
      if (hasAvatar || !p.initial) result.avatar = hasAvatar ? url : null;
    }
    const heroIds = heroes.get(roomId);
    if (heroIds?.length && !hasName) {
      result.heroes = heroIds.map((id) => {
        const c = content(memberKey(id));
        const hero: Hero = { user_id: id };
        if (typeof c?.displayname === 'string') hero.displayname = c.displayname;
        if (typeof c?.avatar_url === 'string') hero.avatar_url = c.avatar_url;
        return hero;
      });
    }
    const count = counts.get(roomId);
    if (count) {
      result.joined_count = count.join;
      result.invited_count = count.invite;
    }
    const u = unread.get(roomId);
    if (u) {
      result.notification_count = u.unread_notifications.notification_count;
      result.highlight_count = u.unread_notifications.highlight_count;
    }
    const bump = p.w.row.membership === 'join' ? ctx.activity.get(roomId)?.bump : undefined;
    result.bump_stamp = bump || p.w.row.streamPos;

    out.states.set(roomId, nextState(ctx, p, required));
    const changedAnything =
      p.initial ||
      result.timeline !== undefined ||
      result.required_state !== undefined ||
      result.name !== undefined ||
      result.avatar !== undefined ||
      result.joined_count !== undefined ||
      p.w.countsChanged ||
      p.w.prev?.membership !== p.w.row.membership;
    if (changedAnything) out.results.set(roomId, result);
  }
}

/** The plans' timelines, cut to what the user may see. */
async function readTimelines(ctx: RoomsContext, plans: Plan[], read: Map<string, WindowRead>): Promise<void> {
  const { db, userId } = ctx;
  // The user's own member events, for history visibility of events before it.
  const toCheck = plans.filter((p) => {
    const events = read.get(p.w.roomId)!.events;
    // Nothing after the user's current join (nor the join itself) is hidden from them.
    return events.length > 0 && (p.w.row.membership !== 'join' || events.some((e) => e.streamPos! < p.w.row.streamPos));
  });
  const members = await eventsByIds(db, toCheck.map((p) => p.w.row.eventId));
  for (const p of plans) {
    const { events, more } = read.get(p.w.roomId)!;
    let visible = events;
    if (toCheck.includes(p)) {
      const member = members.get(p.w.row.eventId);
      const model = new RoomModel(p.w.roomId, p.version!, new Map(member ? [[memberKey(userId), member]] : []), [], null, 0);
      visible = await visibleTo(db, model, userId, events);
    }
    p.timeline = visible;
    p.limited = more;
    if (p.lazy) {
      for (const e of visible) {
        p.needed.add(e.pdu.sender);
        if (e.pdu.type === MEMBER && typeof e.pdu.state_key === 'string') p.needed.add(e.pdu.state_key);
      }
    }
  }
}

/**
 * The state the plans may return, as key → event id: current state, or the state at the user's
 * leave. Returns the events of the current state entries.
 */
async function readState(ctx: RoomsContext, plans: Plan[], heroes: Map<string, string[]>): Promise<Map<string, StoredEvent>> {
  const { db, userId } = ctx;
  const reads = plans.map((p) => {
    const rs = p.w.config.requiredState;
    const full = p.initial || !sameRequiredState(p.w.prev?.config?.requiredState ?? {}, rs);
    const sel: StateSelection = full ? selectionOf(rs, userId) : { all: false, allButMembers: false, types: [], pairs: [], keys: [] };
    for (const k of p.changed) {
      const [type, key] = splitStateKey(k);
      sel.pairs.push([type, key]);
    }
    for (const k of metaKeys(p, heroes)) {
      const [type, key] = splitStateKey(k);
      sel.pairs.push([type, key]);
    }
    for (const u of p.needed) sel.pairs.push([MEMBER, u]);
    return { roomId: p.w.roomId, ...sel };
  });
  const joined = new Set(plans.filter((p) => p.w.row.membership === 'join').map((p) => p.w.roomId));
  const current = await currentStateSelection(db, reads.filter((r) => joined.has(r.roomId)));
  const departed = plans.filter((p) => !joined.has(p.w.roomId));
  const leaves = await eventsByIds(db, departed.map((p) => p.w.row.eventId));
  for (const p of plans) {
    if (joined.has(p.w.roomId)) {
      p.state = current.state.get(p.w.roomId)!;
      continue;
    }
    // Someone who left sees the room as it was when they left; their leave is part of it even when
    // the server holds no state for the room (a rejected remote invite).
    const leave = leaves.get(p.w.row.eventId);
    p.state = leave?.stateGroup != null ? await stateOfGroup(db, leave.stateGroup) : new Map();
    p.state.set(memberKey(userId), p.w.row.eventId);
    // Without the room (a rejected remote invite) only the leave is served, and how a member
    // event is served does not depend on the room version.
    const version = leave?.pdu.unsigned?.room_version;
    p.version ??= getRoomVersion(typeof version === 'string' ? version : DEFAULT_ROOM_VERSION);
  }
  for (const [id, e] of leaves) current.events.set(id, e);
  return current.events;
}

/** State read for the room's name, avatar and heroes: only when they may have changed. */
function metaKeys(p: Plan, heroes: Map<string, string[]>): string[] {
  const heroIds = heroes.get(p.w.roomId) ?? [];
  const keys: string[] = [];
  if (p.initial || p.changed.has(NAME_KEY) || heroIds.length) keys.push(NAME_KEY);
  if (p.initial || p.changed.has(AVATAR_KEY)) keys.push(AVATAR_KEY);
  for (const u of heroIds) keys.push(memberKey(u));
  return keys;
}

/**
 * The state keys to return: for a room sent afresh, all that its required_state asks for; else the
 * changed entries it asks for, entries newly asked for, and members the timeline now needs.
 */
function requiredKeys(ctx: RoomsContext, p: Plan): string[] {
  const { userId } = ctx;
  const rs = p.w.config.requiredState;
  const asked = (k: string) => matchesStateKey(rs, k, userId);
  const keys = new Set<string>();
  const lazyMember = (u: string) => {
    const k = memberKey(u);
    if (p.state.has(k)) keys.add(k);
  };
  if (p.initial) {
    for (const k of p.state.keys()) if (asked(k)) keys.add(k);
    for (const u of p.needed) lazyMember(u);
    return [...keys].filter((k) => p.state.has(k));
  }
  const sent = new Set(p.w.prev?.lazy ?? []);
  for (const k of p.changed) {
    if (asked(k)) keys.add(k);
    // With lazy members, a gapless sync carries every membership change (MSC4186), so that a
    // client can keep its member list; a limited one only those the timeline needs.
    else if (p.lazy && isMemberKey(k) && (!p.limited || p.needed.has(splitStateKey(k)[1]))) keys.add(k);
  }
  for (const u of p.needed) if (!sent.has(u)) lazyMember(u);
  const prevRs = p.w.prev?.config?.requiredState;
  if (prevRs && !sameRequiredState(prevRs, rs)) {
    for (const k of p.state.keys()) if (asked(k) && !matchesStateKey(prevRs, k, userId)) keys.add(k);
  }
  return [...keys].filter((k) => p.state.has(k));
}

function nextState(ctx: RoomsContext, p: Plan, required: string[]): RoomState {
  const { config } = p.w;
  const prev = p.w.prev;
  const state: RoomState = { ...prev, membership: p.w.row.membership, upto: ctx.to.e };
  const prevConfig = prev?.config;
  if (p.initial || !prevConfig) state.config = config;
  else {
    // A smaller limit is remembered only after a gap: without one the client still has the events.
    const limit = p.expanded || (p.limited && config.timelineLimit < prevConfig.timelineLimit) ? config.timelineLimit : prevConfig.timelineLimit;
    const requiredState = sameRequiredState(prevConfig.requiredState, config.requiredState) ? prevConfig.requiredState : config.requiredState;
    state.config = limit === prevConfig.timelineLimit && requiredState === prevConfig.requiredState ? prevConfig : { timelineLimit: limit, requiredState };
  }
  if (p.lazy) {
    const members = required.filter(isMemberKey).map((k) => splitStateKey(k)[1]);
    let lazy = p.initial ? [] : (prev?.lazy ?? []);
    // A member whose change the client was not sent must be sent again when next needed.
    const missed = new Set([...p.changed].filter(isMemberKey).map((k) => splitStateKey(k)[1]));
    lazy = lazy.filter((u) => !missed.has(u) && !members.includes(u));
    state.lazy = [...lazy, ...members].slice(-MAX_LAZY_MEMBERS);
  } else delete state.lazy;
  return state;
}

/**
 * Serves the plans' state and timelines, per room version. Timelines with a gap carry the bundled
 * aggregations of their events (as /sync); a gapless one needs none: the client has every event.
 */
async function serveAll(ctx: RoomsContext, plans: Plan[], stateEvents: Map<string, StoredEvent>): Promise<Map<string, JsonObject>> {
  const viewer = { userId: ctx.userId, deviceId: ctx.deviceId };
  const byVersion = new Map<RoomVersion, { bundled: StoredEvent[]; plain: StoredEvent[]; state: StoredEvent[] }>();
  for (const p of plans) {
    if (!p.version) continue;
    let group = byVersion.get(p.version);
    if (!group) byVersion.set(p.version, (group = { bundled: [], plain: [], state: [] }));
    (p.limited || p.initial || p.expanded ? group.bundled : group.plain).push(...p.timeline);
    for (const k of p.required) {
      const e = stateEvents.get(p.state.get(k)!);
      if (e) group.state.push(e);
    }
  }
  const out = new Map<string, JsonObject>();
  const put = (events: ClientEvent[]) => {
    for (const e of events) {
      // Events of a room's section need no room_id (as /sync's ClientEventWithoutRoomID).
      const { room_id: _roomId, ...rest } = e;
      out.set(e.event_id, rest as JsonObject);
    }
  };
  for (const [version, group] of byVersion) {
    put(await serveEvents(ctx.db, version, group.state, viewer));
    put(await serveEvents(ctx.db, version, group.plain, viewer));
    put(await serveEvents(ctx.db, version, group.bundled, viewer, { bundle: true }));
  }
  return out;
}
