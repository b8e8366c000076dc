// GET /_matrix/client/v1/rooms/{roomId}/hierarchy (spec: client-server "Spaces").
import { Hono } from 'hono';
import { httpDb } from '../../../db/client';
import { requireAuth } from '../../../http/auth';
import type { AppEnv } from '../../../http/context';
import { remoteRoomsFor } from '../../../services/federation/queries';
import { DEFAULT_LIMIT, hierarchy, MAX_LIMIT } from '../../../services/rooms/hierarchy';
import { boolQuery, intQuery, roomIdParam } from './params';

export const hierarchyApi = new Hono<AppEnv>();

hierarchyApi.get('/rooms/:roomId/hierarchy', requireAuth({ allowGuests: true }), async (c) => {
  const roomId = roomIdParam(c);
  const req = {
    roomId,
    suggestedOnly: boolQuery(c, 'suggested_only') ?? false,
    maxDepth: intQuery(c, 'max_depth', 0),
    limit: Math.min(intQuery(c, 'limit', 1) ?? DEFAULT_LIMIT, MAX_LIMIT),
    from: c.req.query('from') || undefined,
  };
  const db = httpDb(c.env);
  const userId = c.get('requester').userId;
  return c.json(await hierarchy(db, userId, req, remoteRoomsFor(c.env, db, userId, req.suggestedOnly)));
});
