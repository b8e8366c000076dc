// GET /_matrix/client/v1/room_summary/{roomIdOrAlias} (spec v1.15: client-server "Room
// Summaries"). endpoints.tsv lists its security as `signedRequest`, a slip in the spec's YAML: the
// text says servers MAY answer unauthenticated requests for public, knockable or world-readable
// rooms, so an access token is optional here and, when sent, must be valid.
import { Hono } from 'hono';
import { httpDb } from '../../../db/client';
import { resolveAlias } from '../../../db/queries/aliases';
import { getRoom, membershipOf } from '../../../db/queries/rooms';
import type { AppEnv, Ctx } from '../../../http/context';
import { ErrCode, MatrixError } from '../../../http/errors';
import { checkRoomAlias, checkRoomId, isValidServerName, serverNameOf } from '../../../matrix/ids';
import { remoteAlias, remoteRoomsFor } from '../../../services/federation/queries';
import { roomSummary } from '../../../services/rooms/summary';
import { requesterIfAny } from './params';

export const roomSummaryApi = new Hono<AppEnv>();

const notFound = () => new MatrixError(404, ErrCode.NOT_FOUND, 'Room not found or is not accessible');

/** The room id, and servers that may know the room (an alias's servers). */
async function roomIdOf(c: Ctx, idOrAlias: string): Promise<{ roomId: string; servers: string[] }> {
  if (idOrAlias.startsWith('#')) {
    if (checkRoomAlias(idOrAlias) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room alias: ${idOrAlias}`);
    if (serverNameOf(idOrAlias) !== c.get('config').serverName) {
      const remote = await remoteAlias(c.env, idOrAlias);
      return { roomId: remote.room_id, servers: remote.servers };
    }
    const roomId = await resolveAlias(httpDb(c.env), idOrAlias);
    if (!roomId) throw notFound();
    return { roomId, servers: [] };
  }
  if (checkRoomId(idOrAlias) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room id or alias: ${idOrAlias}`);
  return { roomId: idOrAlias, servers: [] };
}

roomSummaryApi.get('/room_summary/:roomIdOrAlias', async (c) => {
  const requester = await requesterIfAny(c);
  const { roomId, servers } = await roomIdOf(c, c.req.param('roomIdOrAlias'));
  const db = httpDb(c.env);
  if (await getRoom(db, roomId)) return c.json(await roomSummary(db, roomId, requester?.userId));
  // A room this server is not in: its summary from a server that is (`via`, the alias's servers,
  // the room id's server), as the space hierarchy gives it.
  const via = [...(c.req.queries('via') ?? []).filter(isValidServerName), ...servers];
  const roomServer = serverNameOf(roomId);
  if (roomServer) via.push(roomServer);
  const room = await remoteRoomsFor(c.env, db, requester?.userId, false)(roomId, [...new Set(via)]);
  if (!room) throw notFound();
  const { children_state: _children, ...summary } = room;
  if (requester === undefined) return c.json(summary);
  return c.json({ ...summary, membership: (await membershipOf(db, roomId, requester.userId))?.membership ?? 'leave' });
});
