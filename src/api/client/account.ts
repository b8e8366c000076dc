// Account management: whoami, logout, password, deactivation, 3PIDs
// (spec: Client-Server "Account registration and management", "Logout").
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAuth, userObject } from '../../http/auth';
import { forgetUserSessions } from '../../http/session-cache';
import { body } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { hashPassword } from '../../services/auth/passwords';
import { finishUia, requireUia } from '../../services/auth/uia';
import { checkNewPassword } from '../../services/auth/validation';

export const account = new Hono<AppEnv>();

account.get('/account/whoami', requireAuth({ allowGuests: true }), (c) => {
  const r = c.get('requester');
  return c.json({ user_id: r.userId, device_id: r.deviceId, is_guest: r.isGuest });
});

account.post('/logout', requireAuth({ allowGuests: true, allowLocked: true }), async (c) => {
  const r = c.get('requester');
  await userObject(c.env, r.userId).logout(r.userId, r.deviceId);
  forgetUserSessions(r.userId);
  return c.json({});
});

account.post('/logout/all', requireAuth({ allowGuests: true, allowLocked: true }), async (c) => {
  const r = c.get('requester');
  await userObject(c.env, r.userId).logoutAll(r.userId);
  forgetUserSessions(r.userId);
  return c.json({});
});

const passwordBody = z.object({
  auth: z.unknown().optional(),
  new_password: z.string(),
  logout_devices: z.boolean().optional(),
});

account.post('/account/password', requireAuth(), async (c) => {
  const r = c.get('requester');
  const req = await body(c, passwordBody);
  checkNewPassword(req.new_password);
  const uia = await requireUia(c.env, { operation: 'POST /account/password', flows: [['m.login.password']], userId: r.userId, serverName: c.get('config').serverName }, req.auth);
  await userObject(c.env, r.userId).changePassword(r.userId, await hashPassword(req.new_password, c.get('config').passwordIterations), req.logout_devices ?? true, r.deviceId);
  forgetUserSessions(r.userId);
  await finishUia(c.env, uia.sessionId);
  return c.json({});
});

const deactivateBody = z.object({ auth: z.unknown().optional(), id_server: z.string().optional(), erase: z.boolean().optional() });

account.post('/account/deactivate', requireAuth(), async (c) => {
  const r = c.get('requester');
  const req = await body(c, deactivateBody, { emptyAsObject: true });
  const uia = await requireUia(c.env, { operation: 'POST /account/deactivate', flows: [['m.login.password']], userId: r.userId, serverName: c.get('config').serverName }, req.auth);
  await userObject(c.env, r.userId).deactivate(r.userId);
  forgetUserSessions(r.userId);
  await finishUia(c.env, uia.sessionId);
  // No identity server is ever bound by this server, so there is nothing to unbind.
  return c.json({ id_server_unbind_result: 'no-support' });
});

// This server binds no third-party identifiers: the list is always empty.
account.get('/account/3pid', requireAuth(), (c) => c.json({ threepids: [] }));
