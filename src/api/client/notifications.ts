// GET /notifications (spec: client-server "Listing Notifications").
import { Hono } from 'hono';
import { requireAuth } from '../../http/auth';
import type { AppEnv } from '../../http/context';
import { invalidParam } from '../../http/errors';
import { httpDb } from '../../db/client';
import { getNotifications, parseNotificationsToken } from '../../services/push/notifications';

export const notifications = new Hono<AppEnv>();

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

notifications.get('/notifications', requireAuth(), async (c) => {
  const r = c.get('requester');
  const from = c.req.query('from');
  const limitParam = c.req.query('limit');
  let fromPos: number | undefined;
  if (from !== undefined) {
    fromPos = parseNotificationsToken(from);
    if (fromPos === undefined) throw invalidParam("Unrecognised 'from' token");
  }
  let limit = DEFAULT_LIMIT;
  if (limitParam !== undefined) {
    if (!/^[0-9]{1,9}$/.test(limitParam)) throw invalidParam("'limit' must be a non-negative integer");
    limit = Math.min(Number(limitParam), MAX_LIMIT);
  }
  const only = c.req.query('only');
  return c.json(await getNotifications(httpDb(c.env), { userId: r.userId, deviceId: r.deviceId }, { from: fromPos, limit, onlyHighlight: only === 'highlight' }));
});
