// The published room directory (spec: GET and POST /publicRooms). Rooms come biggest first, then
// by room id; tokens carry the last room seen and the direction, so pages stay consistent while
// member counts change (the same keyset scheme as Synapse).
import { z } from 'zod';
import type { Db } from '../../db/client';
import { publicRoomRows, type SummaryRow } from '../../db/queries/summaries';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { summarize, type RoomSummary } from '../../matrix/room-summary';
import { getRoomVersion } from '../../matrix/room-versions';
import { base64UrlDecodeJson, base64UrlEncodeJson } from './tokens';

/** The most rooms one response lists (also what `limit` 0 or absent means). */
const MAX_LIMIT = 100;

/** The body of POST /publicRooms, the same in the client-server and server-server APIs. */
export const publicRoomsBody = z
  .object({
    limit: z.number().int().min(0).optional(),
    since: z.string().nullish(),
    filter: z
      .object({ generic_search_term: z.string().nullish(), room_types: z.array(z.string().nullable()).nullish() })
      .passthrough()
      .nullish(),
    include_all_networks: z.boolean().optional(),
    third_party_instance_id: z.string().optional(),
  })
  .passthrough();

export interface PublicRoomsRequest {
  limit?: number;
  since?: string;
  filter?: { generic_search_term?: string; room_types?: (string | null)[] };
  include_all_networks?: boolean;
  third_party_instance_id?: string;
}

export type PublishedRoom = Omit<RoomSummary, 'room_version' | 'encryption' | 'allowed_room_ids'>;

export interface PublicRoomsResponse {
  chunk: PublishedRoom[];
  next_batch?: string;
  prev_batch?: string;
  total_room_count_estimate: number;
}

interface Bound {
  joined: number;
  roomId: string;
  forwards: boolean;
}

const encode = (b: Bound) => base64UrlEncodeJson([b.forwards ? 'f' : 'b', b.joined, b.roomId]);

function decode(token: string): Bound {
  const v = base64UrlDecodeJson(token);
  if (!Array.isArray(v) || v.length !== 3 || (v[0] !== 'f' && v[0] !== 'b') || !Number.isSafeInteger(v[1]) || typeof v[2] !== 'string') {
    throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Unknown pagination token');
  }
  return { forwards: v[0] === 'f', joined: v[1] as number, roomId: v[2] };
}

function entry(row: SummaryRow): PublishedRoom {
  const { room_version: _v, encryption: _e, allowed_room_ids: _a, ...chunk } = summarize(row.roomId, getRoomVersion(row.version)!, row.state, row.joined);
  return chunk;
}

export async function publicRooms(db: Db, req: PublicRoomsRequest): Promise<PublicRoomsResponse> {
  if (req.include_all_networks && req.third_party_instance_id !== undefined) {
    throw new MatrixError(400, ErrCode.INVALID_PARAM, "Can't use include_all_networks with an explicit network");
  }
  // No application service publishes third-party networks here: a named network lists nothing.
  if (req.third_party_instance_id !== undefined) return { chunk: [], total_room_count_estimate: 0 };

  const limit = req.limit === undefined || req.limit === 0 ? MAX_LIMIT : Math.min(req.limit, MAX_LIMIT);
  const bound = req.since ? decode(req.since) : undefined;
  const forwards = bound?.forwards ?? true;
  const { rows, total } = await publicRoomRows(db, {
    searchTerm: req.filter?.generic_search_term || undefined,
    roomTypes: req.filter?.room_types?.length ? req.filter.room_types : undefined,
    bound,
    limit: limit + 1,
  });
  // Rows come nearest to the bound first; one more than the limit tells whether more follow.
  const more = rows.length > limit;
  const considered = rows.slice(0, limit);
  const chunk = (forwards ? considered : [...considered].reverse()).map(entry);
  const at = (r: PublishedRoom, fwd: boolean) => encode({ joined: r.num_joined_members, roomId: r.room_id, forwards: fwd });

  const out: PublicRoomsResponse = { chunk, total_room_count_estimate: total };
  if (forwards) {
    if (more) out.next_batch = at(chunk[chunk.length - 1], true);
    // After a token there are earlier rooms; from the very end, page back from the last room.
    if (bound) out.prev_batch = chunk.length ? at(chunk[0], false) : encode({ joined: 0, roomId: '', forwards: false });
  } else if (chunk.length) {
    out.next_batch = at(chunk[chunk.length - 1], true);
    if (more) out.prev_batch = at(chunk[0], false);
  }
  return out;
}
