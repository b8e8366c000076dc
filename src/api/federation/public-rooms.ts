// GET and POST /_matrix/federation/v1/publicRooms (spec: server-server "Published Room
// Directory"): our published rooms, for other servers' users, as our own users see them.
import { Hono } from 'hono';
import { httpDb } from '../../db/client';
import { validate } from '../../http/body';
import type { AppEnv, Ctx } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { requireServerAuth } from '../../http/federation-auth';
import { publicRooms, publicRoomsBody } from '../../services/rooms/public-rooms';

export const federationPublicRooms = new Hono<AppEnv>();

function query(c: Ctx) {
  const limit = c.req.query('limit');
  if (limit !== undefined && !/^\d{1,9}$/.test(limit)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'limit must be a non-negative integer');
  const all = c.req.query('include_all_networks');
  if (all !== undefined && all !== 'true' && all !== 'false') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'include_all_networks must be true or false');
  return {
    limit: limit === undefined ? undefined : Number(limit),
    since: c.req.query('since') || undefined,
    include_all_networks: all === undefined ? undefined : all === 'true',
    third_party_instance_id: c.req.query('third_party_instance_id'),
  };
}

federationPublicRooms.get('/publicRooms', requireServerAuth, async (c) => c.json(await publicRooms(httpDb(c.env), query(c))));


federationPublicRooms.post('/publicRooms', requireServerAuth, async (c) => {
  const req = validate(publicRoomsBody, c.get('federationBody') ?? {});
  return c.json(
    await publicRooms(httpDb(c.env), {
      limit: req.limit,
      since: req.since ?? undefined,
      filter: { generic_search_term: req.filter?.generic_search_term ?? undefined, room_types: req.filter?.room_types ?? undefined },
      include_all_networks: req.include_all_networks,
      third_party_instance_id: req.third_party_instance_id,
    }),
  );
});
