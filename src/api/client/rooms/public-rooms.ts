// GET and POST /publicRooms (spec: client-server "Published room directory").
import { Hono } from 'hono';
import { z } from 'zod';
import { httpDb } from '../../../db/client';
import { requireAuth } from '../../../http/auth';
import { body } from '../../../http/body';
import type { AppEnv, Ctx } from '../../../http/context';
import { ErrCode, MatrixError } from '../../../http/errors';
import { checkServerName } from '../../../matrix/ids';
import { cannotReach } from '../../../services/rooms/directory';
import { publicRooms, type PublicRoomsRequest } from '../../../services/rooms/public-rooms';
import { intQuery, requesterIfAny } from './params';

export const publicRoomsApi = new Hono<AppEnv>();

/** Another server's directory needs a federation request, which this server cannot make yet (Synapse answers 502 for an unreachable server). */
function checkServer(c: Ctx): void {
  const server = c.req.query('server');
  if (server === undefined || server === '' || server === c.get('config').serverName) return;
  if (checkServerName(server) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid server name: ${server}`);
  throw cannotReach(`${server} for its room directory`);
}

async function list(c: Ctx, req: PublicRoomsRequest) {
  checkServer(c);
  return c.json(await publicRooms(httpDb(c.env), req));
}

// Listing this server's directory needs no account (spec: no security on GET).
publicRoomsApi.get('/publicRooms', async (c) => {
  await requesterIfAny(c);
  return list(c, { limit: intQuery(c, 'limit', 0), since: c.req.query('since') || undefined });
});

const queryBody = z
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

publicRoomsApi.post('/publicRooms', requireAuth({ allowGuests: true }), async (c) => {
  const req = await body(c, queryBody, { emptyAsObject: true });
  return list(c, {
    limit: req.limit,
    since: req.since ?? undefined,
    filter: { generic_search_term: req.filter?.generic_search_term ?? undefined, room_types: req.filter?.room_types ?? undefined },
    include_all_networks: req.include_all_networks,
    third_party_instance_id: req.third_party_instance_id,
  });
});
