// Asking other servers on a client's behalf (spec: server-server "Querying for information",
// "Published Room Directory", "Spaces"): what an alias of theirs points to, a profile of one of
// their users, their published rooms, and a space's hierarchy. Answers are checked for shape
// before they reach the client: a malformed answer is the remote's fault (502), not the client's.
import { config, type Env } from '../../config';
import type { Db } from '../../db/client';
import { membershipOf, roomsOfUser } from '../../db/queries/rooms';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { checkRoomId, isValidServerName, serverNameOf } from '../../matrix/ids';
import type { RoomSummary } from '../../matrix/room-summary';
import type { HierarchyRoom, RemoteRoomLookup, StrippedChild } from '../rooms/hierarchy';
import { askServer } from './ask';

const enc = encodeURIComponent;
const malformed = (server: string, what: string) => new MatrixError(502, ErrCode.UNKNOWN, `${server} sent a malformed ${what}`);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** GET /query/directory: the room an alias of another server points to, and servers in it. */
export async function remoteAlias(env: Env, alias: string): Promise<{ room_id: string; servers: string[] }> {
  const server = serverNameOf(alias)!;
  const res = await askServer<Record<string, unknown>>(env, server, 'GET', `/_matrix/federation/v1/query/directory?room_alias=${enc(alias)}`);
  if (typeof res.room_id !== 'string' || checkRoomId(res.room_id) !== null || !Array.isArray(res.servers)) throw malformed(server, 'directory answer');
  const servers = [...new Set(res.servers.filter((s): s is string => typeof s === 'string' && isValidServerName(s)))];
  return { room_id: res.room_id, servers };
}

/** GET /query/profile: a remote user's profile, or one field of it (404 when it is not set). */
export async function remoteProfile(env: Env, userId: string, field?: string): Promise<Record<string, unknown>> {
  const server = serverNameOf(userId)!;
  const query = `user_id=${enc(userId)}${field === undefined ? '' : `&field=${enc(field)}`}`;
  const res = await askServer<unknown>(env, server, 'GET', `/_matrix/federation/v1/query/profile?${query}`);
  if (!isObject(res)) throw malformed(server, 'profile');
  // Unset fields may come as null (spec); a client sees them as absent.
  const profile = Object.fromEntries(Object.entries(res).filter(([, v]) => v !== null));
  if (field === undefined) return profile;
  if (!(field in profile)) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Profile field was not found');
  return { [field]: profile[field] };
}

export interface RemotePublicRoomsRequest {
  limit?: number;
  since?: string;
  filter?: { generic_search_term?: string; room_types?: (string | null)[] };
  include_all_networks?: boolean;
  third_party_instance_id?: string;
}

/** GET or POST /publicRooms of another server: POST only when there is a filter to send. */
export async function remotePublicRooms(env: Env, server: string, req: RemotePublicRoomsRequest): Promise<Record<string, unknown>> {
  let res: unknown;
  if (req.filter && (req.filter.generic_search_term !== undefined || req.filter.room_types !== undefined)) {
    res = await askServer(env, server, 'POST', '/_matrix/federation/v1/publicRooms', req);
  } else {
    const params = new URLSearchParams();
    if (req.limit !== undefined) params.set('limit', String(req.limit));
    if (req.since !== undefined) params.set('since', req.since);
    if (req.include_all_networks !== undefined) params.set('include_all_networks', String(req.include_all_networks));
    if (req.third_party_instance_id !== undefined) params.set('third_party_instance_id', req.third_party_instance_id);
    const qs = params.toString();
    res = await askServer(env, server, 'GET', `/_matrix/federation/v1/publicRooms${qs ? `?${qs}` : ''}`);
  }
  if (!isObject(res) || !Array.isArray(res.chunk) || !res.chunk.every((r) => isObject(r) && typeof r.room_id === 'string' && typeof r.num_joined_members === 'number')) {
    throw malformed(server, 'room directory');
  }
  const out: Record<string, unknown> = { chunk: res.chunk };
  for (const k of ['next_batch', 'prev_batch'] as const) if (typeof res[k] === 'string') out[k] = res[k];
  if (typeof res.total_room_count_estimate === 'number') out.total_room_count_estimate = res.total_room_count_estimate;
  return out;
}

export interface RemoteHierarchy {
  room: HierarchyRoom;
  children: HierarchyRoom[];
  inaccessible: string[];
}

/** Spaces of other servers are asked for once in a while, as the spec recommends caching them. */
const HIERARCHY_TTL_MS = 60_000;
const hierarchyCache = new Map<string, { at: number; value: RemoteHierarchy }>();
/** Rooms described in a space's answer (null: inaccessible to us), so that walking into them asks nobody. */
const describedRooms = new Map<string, { at: number; room: HierarchyRoom | null }>();

/** The optional string fields of a room summary that are passed on when they are strings. */
const STRING_FIELDS = ['name', 'topic', 'canonical_alias', 'avatar_url', 'join_rule', 'room_type', 'room_version', 'encryption'] as const;

/** A remote room summary, reduced to the fields of the spec's RoomSummary that have the right types. */
function summaryFrom(raw: unknown): HierarchyRoom | undefined {
  if (!isObject(raw) || typeof raw.room_id !== 'string' || typeof raw.num_joined_members !== 'number') return undefined;
  if (typeof raw.world_readable !== 'boolean' || typeof raw.guest_can_join !== 'boolean') return undefined;
  const summary: RoomSummary = { room_id: raw.room_id, num_joined_members: raw.num_joined_members, world_readable: raw.world_readable, guest_can_join: raw.guest_can_join };
  for (const f of STRING_FIELDS) if (typeof raw[f] === 'string') summary[f] = raw[f] as string;
  if (Array.isArray(raw.allowed_room_ids) && raw.allowed_room_ids.every((r) => typeof r === 'string')) summary.allowed_room_ids = raw.allowed_room_ids as string[];
  const children = Array.isArray(raw.children_state) ? raw.children_state : [];
  const childrenState = children.filter(
    (c): c is StrippedChild =>
      isObject(c) && c.type === 'm.space.child' && typeof c.state_key === 'string' && isObject(c.content) && typeof c.sender === 'string' && typeof c.origin_server_ts === 'number',
  );
  return { ...summary, children_state: childrenState };
}

/**
 * GET /hierarchy/{roomId} from the first of `servers` that answers: the room, its children the
 * server could tell us about, and those nobody may reach. Undefined when no server knows the room.
 */
export async function remoteHierarchy(env: Env, roomId: string, servers: string[], suggestedOnly: boolean): Promise<RemoteHierarchy | undefined> {
  const key = `${roomId}\u0000${suggestedOnly}`;
  const hit = hierarchyCache.get(key);
  if (hit && Date.now() - hit.at < HIERARCHY_TTL_MS) return hit.value;
  let value: RemoteHierarchy | undefined;
  // We are not asked about rooms we do not have.
  for (const server of servers.filter((s) => s !== config(env).serverName).slice(0, 3)) {
    try {
      const res = await askServer<Record<string, unknown>>(env, server, 'GET', `/_matrix/federation/v1/hierarchy/${enc(roomId)}?suggested_only=${suggestedOnly}`);
      const room = summaryFrom(res.room);
      if (!room || room.room_id !== roomId) continue;
      const children = (Array.isArray(res.children) ? res.children : []).map(summaryFrom).filter((r): r is HierarchyRoom => r !== undefined);
      const inaccessible = (Array.isArray(res.inaccessible_children) ? res.inaccessible_children : []).filter((r): r is string => typeof r === 'string');
      value = { room, children, inaccessible };
      for (const child of children) describedRooms.set(`${child.room_id}\u0000${suggestedOnly}`, { at: Date.now(), room: child });
      for (const id of inaccessible) describedRooms.set(`${id}\u0000${suggestedOnly}`, { at: Date.now(), room: null });
      break;
    } catch (e) {
      console.info(`[federation] ${server} could not give the hierarchy of ${roomId}: ${(e as Error).message}`);
    }
  }
  if (hierarchyCache.size > 1000) hierarchyCache.clear();
  if (describedRooms.size > 10_000) describedRooms.clear();
  // Only answers are remembered: other servers may know the room the next time.
  if (value) hierarchyCache.set(key, { at: Date.now(), value });
  return value;
}

/** A room of another server with its children: as a space's answer described it, or asked of `via`. */
export async function remoteRoom(env: Env, roomId: string, via: string[], suggestedOnly: boolean): Promise<HierarchyRoom | undefined> {
  const described = describedRooms.get(`${roomId}\u0000${suggestedOnly}`);
  if (described && Date.now() - described.at < HIERARCHY_TTL_MS) return described.room ?? undefined;
  return (await remoteHierarchy(env, roomId, via, suggestedOnly))?.room;
}

/**
 * Whether a user may see a room known only from another server's summary: the rules of
 * maySeeSummary on the summary's fields (public, knockable or world-readable rooms, rooms the user
 * is joined or invited to, restricted rooms whose allowed rooms the user is in).
 */
export function maySeeRemoteRoom(room: RoomSummary, membership: string | undefined, joinedRooms: ReadonlySet<string> | undefined): boolean {
  const rule = room.join_rule;
  if (rule === 'public' || rule === 'knock' || rule === 'knock_restricted' || room.world_readable) return true;
  if (membership === 'join' || membership === 'invite') return true;
  return (rule === 'restricted' || rule === 'knock_restricted') && joinedRooms !== undefined && (room.allowed_room_ids ?? []).some((r) => joinedRooms.has(r));
}

/** Remote rooms for the hierarchy walk of `userId` (undefined: unauthenticated, public ones only). */
export function remoteRoomsFor(env: Env, db: Db, userId: string | undefined, suggestedOnly: boolean): RemoteRoomLookup {
  let joined: Promise<Set<string>> | undefined;
  return async (roomId, via) => {
    const room = await remoteRoom(env, roomId, via, suggestedOnly);
    if (!room) return undefined;
    if (userId === undefined) return maySeeRemoteRoom(room, undefined, undefined) ? room : undefined;
    joined ??= roomsOfUser(db, userId, 'join').then((ids) => new Set(ids));
    const membership = (await membershipOf(db, roomId, userId))?.membership;
    return maySeeRemoteRoom(room, membership, await joined) ? room : undefined;
  };
}
