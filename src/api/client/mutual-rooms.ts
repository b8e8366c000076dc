// GET /_matrix/client/v1/mutual_rooms (spec v1.19: client-server "Mutual Rooms", MSC2666): the
// rooms the requester and another user are both joined to, in batches. The order is that of the
// SHA-256 of the room ids, and `next_batch` is the hash of the last room sent (an opaque
// identifier: 43 characters of URL-safe base64 whatever the room id's length); the next batch
// starts after it.
// Tokens do not expire; rooms joined meanwhile appear in a later batch only if they sort after it.
import { Hono } from 'hono';
import { httpDb } from '../../db/client';
import { mutualJoinedRooms } from '../../db/queries/mutual-rooms';
import { requireAuth } from '../../http/auth';
import type { AppEnv } from '../../http/context';
import { ErrCode, invalidParam, MatrixError } from '../../http/errors';
import { encodeBase64Url } from '../../matrix/base64';
import { checkUserId, isCompliantUserId } from '../../matrix/ids';

export const mutualRooms = new Hono<AppEnv>();

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const encoder = new TextEncoder();
const hashOf = async (roomId: string) => encodeBase64Url(new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(roomId))));

mutualRooms.get('/mutual_rooms', requireAuth(), async (c) => {
  const requester = c.get('requester');
  const userIds = c.req.queries('user_id') ?? [];
  if (userIds.length === 0) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'The user_id parameter is required');
  if (userIds.length > 1) throw invalidParam('Only one user_id may be given');
  const [userId] = userIds;
  if (checkUserId(userId) !== null || !isCompliantUserId(userId)) throw invalidParam('The user ID provided was invalid');
  if (userId === requester.userId) throw invalidParam('You cannot list the rooms you share with yourself');
  const froms = c.req.queries('from') ?? [];
  if (froms.length > 1 || (froms.length === 1 && !TOKEN.test(froms[0]))) throw invalidParam('Invalid from token');
  const from = froms[0];

  const rooms = await mutualJoinedRooms(httpDb(c.env), requester.userId, userId);
  const ordered = (await Promise.all(rooms.map(async (roomId) => ({ roomId, hash: await hashOf(roomId) })))).sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  const rest = from === undefined ? ordered : ordered.filter((r) => r.hash > from);
  // Rooms per batch: MUTUAL_ROOMS_BATCH_SIZE (100 by default, as Synapse).
  const size = c.get('config').mutualRoomsBatchSize;
  const batch = rest.slice(0, size);
  const out: { joined: string[]; count: number; next_batch?: string } = { joined: batch.map((r) => r.roomId), count: ordered.length };
  if (rest.length > size) out.next_batch = batch[batch.length - 1].hash;
  return c.json(out);
});
