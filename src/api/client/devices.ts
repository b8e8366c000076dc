// Device management (spec: Client-Server "Device Management").
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAuth, userObject } from '../../http/auth';
import { forgetUserSessions } from '../../http/session-cache';
import { body } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { finishUia, requireUia } from '../../services/auth/uia';

export const devices = new Hono<AppEnv>();

devices.get('/devices', requireAuth(), async (c) => {
  const r = c.get('requester');
  return c.json({ devices: await userObject(c.env, r.userId).listDevices(r.userId) });
});

devices.get('/devices/:deviceId', requireAuth(), async (c) => {
  const r = c.get('requester');
  return c.json(await userObject(c.env, r.userId).getDevice(r.userId, c.req.param('deviceId')));
});

devices.put('/devices/:deviceId', requireAuth(), async (c) => {
  const r = c.get('requester');
  const req = await body(c, z.object({ display_name: z.string().max(255).nullable().optional() }), { emptyAsObject: true });
  const deviceId = c.req.param('deviceId');
  if (req.display_name === undefined) await userObject(c.env, r.userId).getDevice(r.userId, deviceId); // 404 if unknown
  else await userObject(c.env, r.userId).renameDevice(r.userId, deviceId, req.display_name);
  return c.json({});
});

devices.delete('/devices/:deviceId', requireAuth(), async (c) => {
  const r = c.get('requester');
  const deviceId = c.req.param('deviceId');
  const req = await body(c, z.object({ auth: z.unknown().optional() }), { emptyAsObject: true });
  const user = userObject(c.env, r.userId);
  await user.getDevice(r.userId, deviceId); // an unknown device is a 404 before any authentication
  const uia = await requireUia(c.env, { operation: `DELETE /devices/${deviceId}`, flows: [['m.login.password']], userId: r.userId, serverName: c.get('config').serverName }, req.auth);
  await user.deleteDevices(r.userId, [deviceId]);
  forgetUserSessions(r.userId);
  await finishUia(c.env, uia.sessionId);
  return c.json({});
});

devices.post('/delete_devices', requireAuth(), async (c) => {
  const r = c.get('requester');
  const req = await body(c, z.object({ devices: z.array(z.string()), auth: z.unknown().optional() }));
  const uia = await requireUia(c.env, { operation: 'POST /delete_devices', flows: [['m.login.password']], userId: r.userId, serverName: c.get('config').serverName }, req.auth);
  await userObject(c.env, r.userId).deleteDevices(r.userId, req.devices);
  forgetUserSessions(r.userId);
  await finishUia(c.env, uia.sessionId);
  return c.json({});
});
