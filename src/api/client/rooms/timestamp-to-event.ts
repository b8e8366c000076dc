// GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event (spec: client-server "Room participation").
import { Hono } from 'hono';
import { httpDb } from '../../../db/client';
import { requireAuth } from '../../../http/auth';
import type { AppEnv } from '../../../http/context';
import { ErrCode, MatrixError } from '../../../http/errors';
import { eventAtTimestamp } from '../../../services/rooms/timestamp';
import { intQuery, roomIdParam } from './params';

export const timestampApi = new Hono<AppEnv>();

timestampApi.get('/rooms/:roomId/timestamp_to_event', requireAuth(), async (c) => {
  const roomId = roomIdParam(c);
  const ts = intQuery(c, 'ts', Number.MIN_SAFE_INTEGER);
  if (ts === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'Missing integer query parameter ts');
  const dir = c.req.query('dir');
  if (dir === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'Missing query parameter dir');
  if (dir !== 'f' && dir !== 'b') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'dir must be "f" or "b"');
  return c.json(await eventAtTimestamp(httpDb(c.env), roomId, c.get('requester').userId, ts, dir));
});
