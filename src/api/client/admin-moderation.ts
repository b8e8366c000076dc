// Account moderation by server admins (spec v1.18: client-server "Server administration",
// MSC4323): GET/PUT /_matrix/client/v1/admin/suspend/{userId} and /admin/lock/{userId}, for local
// accounts. What the flags then do is enforced where requests are authenticated (src/http/auth.ts,
// src/services/moderation/).
import { Hono } from 'hono';
import { z } from 'zod';
import { httpDb } from '../../db/client';
import { getUser, type UserRow } from '../../db/queries/accounts';
import { requireAuth, userObject } from '../../http/auth';
import { body } from '../../http/body';
import type { AppEnv, Ctx } from '../../http/context';
import { forbidden, invalidParam, notFound } from '../../http/errors';
import { forgetUserSessions } from '../../http/session-cache';
import { checkUserId, serverNameOf } from '../../matrix/ids';
import type { ModerationFlag } from '../../services/moderation/account-flags';

export const adminModeration = new Hono<AppEnv>();

/**
 * The target of a moderation request. The requester's admin right is checked before anything is
 * looked up (spec: no user enumeration); other admins cannot be moderated, nor can one's own
 * account be changed.
 */
async function target(c: Ctx, change: boolean): Promise<UserRow> {
  const requester = c.get('requester');
  if (!requester.admin) throw forbidden('Requesting user is not a server administrator.');
  const userId = c.req.param('userId')!;
  if (checkUserId(userId) !== null) throw invalidParam('Invalid user ID.');
  if (serverNameOf(userId) !== c.get('config').serverName) throw invalidParam('User does not belong to the local server.');
  if (change && userId === requester.userId) throw forbidden('You cannot change the moderation status of your own account.');
  const user = await getUser(httpDb(c.env), userId);
  if (!user || user.deactivated) throw notFound('User not found.');
  if (user.admin && userId !== requester.userId) throw forbidden('The target user is a server administrator.');
  return user;
}

const FLAGS: { path: string; flag: ModerationFlag }[] = [
  { path: 'suspend', flag: 'suspended' },
  { path: 'lock', flag: 'locked' },
];

for (const { path, flag } of FLAGS) {
  adminModeration.get(`/admin/${path}/:userId`, requireAuth(), async (c) => {
    const user = await target(c, false);
    return c.json({ [flag]: user[flag] });
  });

  adminModeration.put(`/admin/${path}/:userId`, requireAuth(), async (c) => {
    const { userId } = await target(c, true);
    const value = (await body(c, z.object({ [flag]: z.boolean() }).passthrough()))[flag] as boolean;
    await userObject(c.env, userId).setModerationFlag(userId, flag, value);
    // This isolate sees the change at once; others within their session cache's TTL.
    forgetUserSessions(userId);
    return c.json({ [flag]: value });
  });
}
