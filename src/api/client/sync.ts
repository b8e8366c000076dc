// GET /sync (spec: client-server "Syncing"). Authentication and the whole computation happen in
// the user's object, where the connection, the caches and the parked long-polls are.
import { Hono } from 'hono';
import { accessTokenOf, clientIp, userObject } from '../../http/auth';
import type { AppEnv } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { hashToken, tokenLocalpart } from '../../services/auth/tokens';
import { parseSyncParams } from '../../services/sync/params';

export const sync = new Hono<AppEnv>();

sync.get('/sync', async (c) => {
  const token = accessTokenOf(c.req.raw);
  if (token === undefined) {
    if (c.req.header('authorization') !== undefined) throw new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'Unrecognised access token', { soft_logout: false });
    throw new MatrixError(401, ErrCode.MISSING_TOKEN, 'Missing access token');
  }
  const localpart = tokenLocalpart('access', token);
  if (localpart === undefined) throw new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'Unrecognised access token', { soft_logout: false });
  const params = parseSyncParams((name) => c.req.query(name));
  const userId = `@${localpart}:${c.get('config').serverName}`;
  const response = await userObject(c.env, userId).sync(userId, await hashToken(token), params, {
    ip: clientIp(c.req.raw),
    userAgent: c.req.header('user-agent') ?? null,
  });
  return c.json(response);
});
