// POST /user/{userId}/openid/request_token (spec: client-server "OpenID").
import { Hono } from 'hono';
import { httpDb } from '../../db/client';
import { requireAuth } from '../../http/auth';
import { jsonObject } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { forbidden } from '../../http/errors';
import { issueOpenIdToken } from '../../services/openid/tokens';

export const openid = new Hono<AppEnv>();

openid.post('/user/:userId/openid/request_token', requireAuth(), async (c) => {
  const requester = c.get('requester');
  if (c.req.param('userId') !== requester.userId) throw forbidden('Cannot request OpenID tokens for other users');
  // The body is reserved for future use: it must be a JSON object, and its content is ignored.
  await jsonObject(c, { emptyAsObject: true });
  return c.json(await issueOpenIdToken(httpDb(c.env), requester.userId, c.get('config').serverName));
});
