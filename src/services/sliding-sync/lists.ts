// Which rooms a request is about (MSC4186 "Lists and subscriptions"): the user's rooms by recent
// activity, filtered and cut to each list's ranges, and the subscribed rooms; each with the
// superset of the room configs that name it.
import type { Db } from '../../db/client';
import { eventsByIds, roomFacts, roomTags, spaceChildren, type Activity, type MembershipRow, type RoomFacts } from '../../db/queries/sliding-sync';
import type { RoomState } from './connection';
import type { ListFilters, RoomConfig, SlidingSyncRequest } from './request';
import { combine } from './required-state';

export interface RoomInterest {
  row: MembershipRow;
  config: RoomConfig;
  /** The lists whose ranges hold the room. */
  lists: string[];
}

export interface Interest {
  lists: Record<string, { count: number; roomIds: string[] }>;
  rooms: Map<string, RoomInterest>;
  /** Rooms in the m.direct account data. */
  dms: Set<string>;
}

export function combineConfigs(a: RoomConfig, b: RoomConfig): RoomConfig {
  return { timelineLimit: Math.max(a.timelineLimit, b.timelineLimit), requiredState: combine(a.requiredState, b.requiredState) };
}

/**
 * The server's list of the user's rooms (MSC4186): every room joined, invited to, knocked on or
 * banned from, and left rooms when someone else removed the user; a room the user left is kept
 * only until this connection has sent the leave. Forgotten rooms are gone.
 */
function inServerList(row: MembershipRow, userId: string, sent: RoomState | undefined): boolean {
  if (row.forgotten) return false;
  if (row.membership !== 'leave') return true;
  if (row.sender !== userId) return true;
  return sent?.upto !== undefined && sent.membership !== 'leave' && row.streamPos > sent.upto;
}

/** Room facts for the filters that need them: local state, or an invite's stripped state. */
async function factsFor(db: Db, rows: MembershipRow[]): Promise<Map<string, RoomFacts>> {
  const facts = await roomFacts(db, rows.map((r) => r.roomId));
  const remote = rows.filter((r) => facts.get(r.roomId)?.type === undefined && (r.membership === 'invite' || r.membership === 'knock'));
  if (remote.length) {
    const events = await eventsByIds(db, remote.map((r) => r.eventId));
    for (const r of remote) {
      const stripped = events.get(r.eventId)?.pdu.unsigned?.invite_room_state;
      if (!Array.isArray(stripped)) continue;
      const find = (type: string) => stripped.find((e) => typeof e === 'object' && e !== null && (e as { type?: unknown }).type === type) as { content?: Record<string, unknown> } | undefined;
      const create = find('m.room.create');
      if (!create) continue;
      const type = create.content?.type;
      facts.set(r.roomId, { ...facts.get(r.roomId), type: typeof type === 'string' ? type : null, encrypted: find('m.room.encryption') !== undefined });
    }
  }
  return facts;
}

interface FilterData {
  dms: Set<string>;
  facts?: Map<string, RoomFacts>;
  tags?: Map<string, string[]>;
  spaceRooms?: Set<string>;
}

function passes(f: ListFilters, row: MembershipRow, d: FilterData): boolean {
  if (f.isDm !== undefined && d.dms.has(row.roomId) !== f.isDm) return false;
  if (f.spaces !== undefined && !d.spaceRooms!.has(row.roomId)) return false;
  if (f.isInvite !== undefined && (row.membership === 'invite') !== f.isInvite) return false;
  const facts = d.facts?.get(row.roomId);
  // A room whose state is unknown matches no filter on its state (as Synapse).
  if (f.isEncrypted !== undefined && (facts?.encrypted === undefined || facts.encrypted !== f.isEncrypted)) return false;
  if (f.roomTypes !== undefined || f.notRoomTypes !== undefined) {
    if (facts?.type === undefined) return false;
    if (f.roomTypes !== undefined && !f.roomTypes.includes(facts.type)) return false;
    if (f.notRoomTypes !== undefined && f.notRoomTypes.includes(facts.type)) return false;
  }
  if (f.tags !== undefined || f.notTags !== undefined) {
    const tags = d.tags!.get(row.roomId) ?? [];
    if (f.tags !== undefined && !tags.some((t) => f.tags!.includes(t))) return false;
    if (f.notTags !== undefined && tags.some((t) => f.notTags!.includes(t))) return false;
  }
  return true;
}

export async function interestOf(
  db: Db,
  userId: string,
  request: SlidingSyncRequest,
  rows: MembershipRow[],
  activity: ReadonlyMap<string, Activity>,
  sent: ReadonlyMap<string, RoomState>,
  dms: Set<string>,
): Promise<Interest> {
  const lists = Object.entries(request.lists);
  const filters = lists.map(([, l]) => l.filters);
  const candidates = rows.filter((r) => inServerList(r, userId, sent.get(r.roomId)));
  const data: FilterData = { dms };
  if (filters.some((f) => f.isEncrypted !== undefined || f.roomTypes !== undefined || f.notRoomTypes !== undefined)) data.facts = await factsFor(db, candidates);
  if (filters.some((f) => f.tags !== undefined || f.notTags !== undefined)) data.tags = await roomTags(db, userId);
  const spaces = [...new Set(filters.flatMap((f) => f.spaces ?? []))];
  if (spaces.length) {
    // Only spaces the user is joined to count; their subspaces are not followed (MSC4186).
    const joined = new Set(rows.filter((r) => r.membership === 'join').map((r) => r.roomId));
    data.spaceRooms = await spaceChildren(db, spaces.filter((s) => joined.has(s)));
  }

  // Most recent first: a joined room by its newest event, any other by the user's membership event.
  const recency = (r: MembershipRow) => (r.membership === 'join' ? (activity.get(r.roomId)?.last ?? r.streamPos) : r.streamPos);
  const sorted = [...candidates].sort((a, b) => recency(b) - recency(a) || (a.roomId < b.roomId ? -1 : 1));

  const out: Interest = { lists: {}, rooms: new Map(), dms: data.dms };
  const add = (row: MembershipRow, config: RoomConfig, list?: string) => {
    const cur = out.rooms.get(row.roomId);
    if (!cur) out.rooms.set(row.roomId, { row, config, lists: list ? [list] : [] });
    else {
      cur.config = combineConfigs(cur.config, config);
      if (list && !cur.lists.includes(list)) cur.lists.push(list);
    }
  };
  for (const [name, list] of lists) {
    const matching = sorted.filter((r) => passes(list.filters, r, data));
    const window = new Set<MembershipRow>();
    if (list.ranges === undefined) for (const r of matching) window.add(r);
    else for (const [start, end] of list.ranges) for (const r of matching.slice(start, end + 1)) window.add(r);
    const inWindow = matching.filter((r) => window.has(r));
    for (const r of inWindow) add(r, list.config, name);
    out.lists[name] = { count: matching.length, roomIds: inWindow.map((r) => r.roomId) };
  }
  // A subscription needs the user to be, or to have been, in the room (no peeking yet).
  const byRoom = new Map(rows.map((r) => [r.roomId, r]));
  for (const [roomId, config] of Object.entries(request.subscriptions)) {
    const row = byRoom.get(roomId);
    if (row && !row.forgotten) add(row, config);
  }
  return out;
}
