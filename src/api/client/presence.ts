// Presence (spec: "Presence"): a user sets their own; others may read it if they share a room.
import { Hono } from 'hono';
import { z } from 'zod';
import { httpDb } from '../../db/client';
import { getPresence } from '../../db/queries/presence';
import { roomMates } from '../../db/queries/sync';
import { userExists } from '../../db/queries/accounts';
import { requireAuth, userObject } from '../../http/auth';
import { body } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { checkUserId } from '../../matrix/ids';
import { presenceContent } from '../../matrix/presence';

export const presence = new Hono<AppEnv>();

const statusBody = z.object({ presence: z.enum(['online', 'offline', 'unavailable']), status_msg: z.string().max(1024).nullable().optional() });

presence.put('/presence/:userId/status', requireAuth({ allowGuests: true }), async (c) => {
  const r = c.get('requester');
  if (c.req.param('userId') !== r.userId) throw new MatrixError(403, ErrCode.FORBIDDEN, 'You can only set your own presence');
  const req = await body(c, statusBody);
  await userObject(c.env, r.userId).setPresence(r.userId, req.presence, req.status_msg);
  return c.json({});
});

presence.get('/presence/:userId/status', requireAuth({ allowGuests: true }), async (c) => {
  const r = c.get('requester');
  const target = c.req.param('userId');
  if (checkUserId(target) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid user id: ${target}`);
  const db = httpDb(c.env);
  // Presence is visible to people who share a room (as Synapse restricts it).
  if (target !== r.userId && !(await roomMates(db, r.userId)).includes(target)) {
    if (!(await userExists(db, target))) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown user');
    throw new MatrixError(403, ErrCode.FORBIDDEN, 'You do not share a room with this user');
  }
  const row = await getPresence(db, target);
  if (!row) {
    if (!(await userExists(db, target))) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown user');
    return c.json({ presence: 'offline' });
  }
  return c.json(presenceContent(row.state, row.lastActiveTs, row.statusMsg, Date.now()));
});
