// GET and POST /publicRooms (spec: client-server "Published room directory").
import { Hono } from 'hono';
import { httpDb } from '../../../db/client';
import { authenticate, requireAuth } from '../../../http/auth';
import { body } from '../../../http/body';
import type { AppEnv, Ctx } from '../../../http/context';
import { ErrCode, MatrixError } from '../../../http/errors';
import { checkServerName } from '../../../matrix/ids';
import { remotePublicRooms } from '../../../services/federation/queries';
import { publicRooms, publicRoomsBody, type PublicRoomsRequest } from '../../../services/rooms/public-rooms';
import { intQuery, requesterIfAny } from './params';

export const publicRoomsApi = new Hono<AppEnv>();

/** The other server named by `server`, if any. */
function remoteServer(c: Ctx): string | undefined {
  const server = c.req.query('server');
  if (server === undefined || server === '' || server === c.get('config').serverName) return undefined;
  if (checkServerName(server) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid server name: ${server}`);
  return server;
}

/** Ours from the database; another server's by asking it (its answer passes through). */
async function list(c: Ctx, req: PublicRoomsRequest, server: string | undefined) {
  if (server === undefined) return c.json(await publicRooms(httpDb(c.env), req));
  return c.json(await remotePublicRooms(c.env, server, req));
}

// Listing this server's directory needs no account (spec: no security on GET); asking another
// server on someone's behalf does, as in Synapse, so that anonymous callers cannot make us fetch.
publicRoomsApi.get('/publicRooms', async (c) => {
  const server = remoteServer(c);
  if (server === undefined) await requesterIfAny(c);
  else await authenticate(c);
  return list(c, { limit: intQuery(c, 'limit', 0), since: c.req.query('since') || undefined }, server);
});


publicRoomsApi.post('/publicRooms', requireAuth({ allowGuests: true }), async (c) => {
  const server = remoteServer(c);
  const req = await body(c, publicRoomsBody, { emptyAsObject: true });
  const request = {
    limit: req.limit,
    since: req.since ?? undefined,
    filter: { generic_search_term: req.filter?.generic_search_term ?? undefined, room_types: req.filter?.room_types ?? undefined },
    include_all_networks: req.include_all_networks,
    third_party_instance_id: req.third_party_instance_id,
  };
  return list(c, request, server);
});
