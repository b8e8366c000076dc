// GET /_matrix/federation/v1/openid/userinfo (spec: server-server "OpenID"). Called by third parties
// holding a token from /openid/request_token, not by servers: no X-Matrix authentication.
import { Hono } from 'hono';
import { httpDb } from '../../db/client';
import type { AppEnv } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { openIdUser } from '../../services/openid/tokens';

export const federationOpenId = new Hono<AppEnv>();

federationOpenId.get('/_matrix/federation/v1/openid/userinfo', async (c) => {
  const token = c.req.query('access_token');
  if (!token) throw new MatrixError(401, ErrCode.MISSING_TOKEN, 'Missing access_token');
  const sub = await openIdUser(httpDb(c.env), token);
  if (sub === undefined) throw new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'Access token unknown or expired');
  return c.json({ sub });
});
