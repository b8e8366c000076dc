// GET /_matrix/client/v1/room_summary/{roomIdOrAlias} (spec v1.15: client-server "Room
// Summaries"). endpoints.tsv lists its security as `signedRequest`, a slip in the spec's YAML: the
// text says servers MAY answer unauthenticated requests for public, knockable or world-readable
// rooms, so an access token is optional here and, when sent, must be valid.
import { Hono } from 'hono';
import { httpDb } from '../../../db/client';
import { resolveAlias } from '../../../db/queries/aliases';
import type { AppEnv, Ctx } from '../../../http/context';
import { ErrCode, MatrixError } from '../../../http/errors';
import { checkRoomAlias, checkRoomId, serverNameOf } from '../../../matrix/ids';
import { cannotReach } from '../../../services/rooms/directory';
import { roomSummary } from '../../../services/rooms/summary';
import { requesterIfAny } from './params';

export const roomSummaryApi = new Hono<AppEnv>();

const notFound = () => new MatrixError(404, ErrCode.NOT_FOUND, 'Room not found or is not accessible');

async function roomIdOf(c: Ctx, idOrAlias: string): Promise<string> {
  if (idOrAlias.startsWith('#')) {
    if (checkRoomAlias(idOrAlias) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room alias: ${idOrAlias}`);
    if (serverNameOf(idOrAlias) !== c.get('config').serverName) throw cannotReach(`the server of ${idOrAlias}`);
    const roomId = await resolveAlias(httpDb(c.env), idOrAlias);
    if (!roomId) throw notFound();
    return roomId;
  }
  if (checkRoomId(idOrAlias) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room id or alias: ${idOrAlias}`);
  return idOrAlias;
}

roomSummaryApi.get('/room_summary/:roomIdOrAlias', async (c) => {
  const requester = await requesterIfAny(c);
  // `via` names servers to ask about rooms this server does not know: that needs federation.
  const roomId = await roomIdOf(c, c.req.param('roomIdOrAlias'));
  return c.json(await roomSummary(httpDb(c.env), roomId, requester?.userId));
});
