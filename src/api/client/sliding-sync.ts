// Simplified sliding sync (MSC4186), at the unstable path Synapse and matrix-rust-sdk use:
// POST /_matrix/client/unstable/org.matrix.simplified_msc3575/sync. As for /sync, authentication
// and the whole computation happen in the user's object (src/services/sliding-sync/).
import { Hono } from 'hono';
import { accessTokenOf, clientIp, userObject } from '../../http/auth';
import { jsonObject } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { hashToken, tokenLocalpart } from '../../services/auth/tokens';
import { parseRequest } from '../../services/sliding-sync/request';

export const SLIDING_SYNC_BASE = '/_matrix/client/unstable/org.matrix.simplified_msc3575';

export const slidingSync = new Hono<AppEnv>();

slidingSync.post('/sync', async (c) => {
  const token = accessTokenOf(c.req.raw);
  if (token === undefined) {
    if (c.req.header('authorization') !== undefined) throw new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'Unrecognised access token', { soft_logout: false });
    throw new MatrixError(401, ErrCode.MISSING_TOKEN, 'Missing access token');
  }
  const localpart = tokenLocalpart('access', token);
  if (localpart === undefined) throw new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'Unrecognised access token', { soft_logout: false });
  const request = parseRequest(await jsonObject(c, { emptyAsObject: true }), (name) => c.req.query(name));
  const userId = `@${localpart}:${c.get('config').serverName}`;
  const response = await userObject(c.env, userId).slidingSync(userId, await hashToken(token), request, {
    ip: clientIp(c.req.raw),
    userAgent: c.req.header('user-agent') ?? null,
  });
  return c.json(response);
});
