// GET /_matrix/federation/v1/hierarchy/{roomId} (spec: server-server "Spaces").
import { Hono } from 'hono';
import { httpDb } from '../../db/client';
import type { AppEnv } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { requireServerAuth } from '../../http/federation-auth';
import { checkRoomId } from '../../matrix/ids';
import { serveHierarchy } from '../../services/federation/spaces';

export const federationHierarchy = new Hono<AppEnv>();

federationHierarchy.get('/hierarchy/:roomId', requireServerAuth, async (c) => {
  const roomId = c.req.param('roomId');
  if (checkRoomId(roomId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room id: ${roomId}`);
  const suggested = c.req.query('suggested_only');
  if (suggested !== undefined && suggested !== 'true' && suggested !== 'false') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'suggested_only must be true or false');
  return c.json(await serveHierarchy(httpDb(c.env), c.get('origin'), roomId, suggested === 'true'));
});
