// Room summaries, as the published room directory, the space hierarchy and /room_summary show
// them (spec: client-server "PublishedRoomsChunk", "RoomSummary"), and who may see one (spec:
// GET /hierarchy "rooms", GET /room_summary).
import { isValidRoomAlias, isValidRoomId } from './ids';
import type { RoomVersion } from './room-versions';
import type { JsonObject } from './types';

/** The only algorithm the RoomSummary schema admits in `encryption`. */
const MEGOLM = 'm.megolm.v1.aes-sha2';

/** The contents of the current state events a summary is made of (undefined: no such event). */
export interface SummaryState {
  create?: JsonObject;
  joinRules?: JsonObject;
  historyVisibility?: JsonObject;
  guestAccess?: JsonObject;
  name?: JsonObject;
  topic?: JsonObject;
  avatar?: JsonObject;
  canonicalAlias?: JsonObject;
  encryption?: JsonObject;
}

export interface RoomSummary {
  room_id: string;
  name?: string;
  topic?: string;
  canonical_alias?: string;
  num_joined_members: number;
  world_readable: boolean;
  guest_can_join: boolean;
  avatar_url?: string;
  join_rule?: string;
  room_type?: string;
  room_version?: string;
  encryption?: string;
  allowed_room_ids?: string[];
}

const nonEmptyString = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The join rule in force, if the room has a join rules event naming one. */
export function joinRuleOf(state: SummaryState): string | undefined {
  return nonEmptyString(state.joinRules?.join_rule);
}

/**
 * Rooms whose members may join a restricted room (spec: "Restricted rooms", the
 * `m.room_membership` condition); empty unless the join rule is restricted in this version.
 */
export function allowedRoomIds(state: SummaryState, version: RoomVersion): string[] {
  const rule = joinRuleOf(state);
  const restricted = (rule === 'restricted' && version.restrictedJoins) || (rule === 'knock_restricted' && version.knockRestricted);
  const allow = state.joinRules?.allow;
  if (!restricted || !Array.isArray(allow)) return [];
  const out: string[] = [];
  for (const a of allow) {
    if (typeof a !== 'object' || a === null) continue;
    const { type, room_id: roomId } = a as JsonObject;
    if (type === 'm.room_membership' && typeof roomId === 'string' && isValidRoomId(roomId) && !out.includes(roomId)) out.push(roomId);
  }
  return out;
}

export function isWorldReadable(state: SummaryState): boolean {
  return state.historyVisibility?.history_visibility === 'world_readable';
}

export function summarize(roomId: string, version: RoomVersion, state: SummaryState, joinedMembers: number): RoomSummary {
  const summary: RoomSummary = {
    room_id: roomId,
    num_joined_members: joinedMembers,
    world_readable: isWorldReadable(state),
    guest_can_join: state.guestAccess?.guest_access === 'can_join',
    room_version: version.id,
  };
  const name = nonEmptyString(state.name?.name);
  if (name !== undefined) summary.name = name;
  // The plain-text topic is `topic`, which duplicates the text/plain form of `m.topic`.
  const topic = nonEmptyString(state.topic?.topic);
  if (topic !== undefined) summary.topic = topic;
  const alias = state.canonicalAlias?.alias;
  if (typeof alias === 'string' && isValidRoomAlias(alias)) summary.canonical_alias = alias;
  const avatar = nonEmptyString(state.avatar?.url);
  if (avatar !== undefined) summary.avatar_url = avatar;
  const joinRule = joinRuleOf(state);
  if (joinRule !== undefined) summary.join_rule = joinRule;
  const type = nonEmptyString(state.create?.type);
  if (type !== undefined) summary.room_type = type;
  if (state.encryption?.algorithm === MEGOLM) summary.encryption = MEGOLM;
  const allowed = allowedRoomIds(state, version);
  if (allowed.length) summary.allowed_room_ids = allowed;
  return summary;
}

export interface PreviewInput {
  version: RoomVersion;
  state: SummaryState;
  /** The requester's current membership; undefined without one (or when unauthenticated). */
  membership: string | undefined;
  /** The rooms the requester is joined to (for restricted join rules), if known. */
  joinedRooms?: ReadonlySet<string>;
}

/**
 * Whether the requester may see the room's summary: they are joined or invited, the room is
 * public, knockable or world-readable, or its restricted join rule would let them in.
 */
export function maySeeSummary({ version, state, membership, joinedRooms }: PreviewInput): boolean {
  const rule = joinRuleOf(state);
  if (rule === 'public') return true;
  if ((rule === 'knock' && version.knocking) || (rule === 'knock_restricted' && version.knockRestricted)) return true;
  if (isWorldReadable(state)) return true;
  if (membership === 'join' || membership === 'invite') return true;
  return joinedRooms !== undefined && allowedRoomIds(state, version).some((r) => joinedRooms.has(r));
}
