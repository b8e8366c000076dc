// Pushers (spec: client-server "Push Notifications", GET /pushers, POST /pushers/set).
import { Hono } from 'hono';
import { requireAuth } from '../../http/auth';
import { jsonObject } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { httpDb } from '../../db/client';
import { listPushers, parsePusherRequest, setPusher } from '../../services/push/pushers';

export const pushers = new Hono<AppEnv>();

pushers.get('/pushers', requireAuth(), async (c) => {
  return c.json({ pushers: await listPushers(httpDb(c.env), c.get('requester').userId) });
});

pushers.post('/pushers/set', requireAuth(), async (c) => {
  const req = parsePusherRequest(await jsonObject(c));
  await setPusher(httpDb(c.env), c.get('requester'), req);
  return c.json({});
});
