// Dehydrated devices (MSC3814), under /_matrix/client/unstable/org.matrix.msc3814.v1 as Synapse
// serves them: PUT/GET/DELETE dehydrated_device, and its to-device messages through
// GET dehydrated_device/{deviceId}/events?from= (POST with {next_batch} is the older draft's form).
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAuth, userObject } from '../../http/auth';
import { body, jsonObject } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { invalidParam } from '../../http/errors';

export const dehydratedDevice = new Hono<AppEnv>();
export const DEHYDRATED_DEVICE_BASE = '/_matrix/client/unstable/org.matrix.msc3814.v1';

dehydratedDevice.put('/dehydrated_device', requireAuth(), async (c) => {
  const r = c.get('requester');
  return c.json(await userObject(c.env, r.userId).putDehydratedDevice(r.userId, await jsonObject(c)));
});

dehydratedDevice.get('/dehydrated_device', requireAuth(), async (c) => {
  const r = c.get('requester');
  return c.json(await userObject(c.env, r.userId).getDehydratedDevice(r.userId));
});

dehydratedDevice.delete('/dehydrated_device', requireAuth(), async (c) => {
  const r = c.get('requester');
  return c.json(await userObject(c.env, r.userId).deleteDehydratedDevice(r.userId));
});

function limitOf(raw: string | undefined): number {
  if (raw === undefined) return 100;
  if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1) throw invalidParam("'limit' must be a positive integer");
  return Math.min(Number(raw), 1000);
}

dehydratedDevice.get('/dehydrated_device/:deviceId/events', requireAuth(), async (c) => {
  const r = c.get('requester');
  const out = await userObject(c.env, r.userId).dehydratedDeviceEvents(r.userId, c.req.param('deviceId'), c.req.query('from'), limitOf(c.req.query('limit')));
  return c.json(out.limited ? { events: out.events, next_batch: out.nextBatch } : { events: out.events });
});

dehydratedDevice.post('/dehydrated_device/:deviceId/events', requireAuth(), async (c) => {
  const r = c.get('requester');
  const req = await body(c, z.object({ next_batch: z.string().nullable().optional() }), { emptyAsObject: true });
  const out = await userObject(c.env, r.userId).dehydratedDeviceEvents(r.userId, c.req.param('deviceId'), req.next_batch ?? undefined, limitOf(c.req.query('limit')));
  return c.json({ events: out.events, next_batch: out.nextBatch });
});
