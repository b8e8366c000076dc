// Reporting rooms and events (spec: client-server "Reporting content", as of v1.18: no `score`,
// and servers may answer 200 whether or not the subject exists). Every well-formed report is
// answered 200 after the same single statement (queries/reports.ts), which stores it only when it
// is admissible: a report reveals nothing about rooms or events the reporter cannot see.
import { Hono } from 'hono';
import { z } from 'zod';
import { httpDb } from '../../../db/client';
import { reportEvent, reportRoom } from '../../../db/queries/reports';
import { requireAuth } from '../../../http/auth';
import { body } from '../../../http/body';
import type { AppEnv } from '../../../http/context';
import { eventIdParam, roomIdParam } from './params';

export const reportApi = new Hono<AppEnv>();

reportApi.post('/rooms/:roomId/report/:eventId', requireAuth(), async (c) => {
  const roomId = roomIdParam(c);
  const eventId = eventIdParam(c);
  // A `score` from clients of earlier versions is ignored.
  const req = await body(c, z.object({ reason: z.string().optional() }).passthrough());
  await reportEvent(httpDb(c.env), roomId, eventId, c.get('requester').userId, req.reason ?? null);
  return c.json({});
});

reportApi.post('/rooms/:roomId/report', requireAuth(), async (c) => {
  const roomId = roomIdParam(c);
  const req = await body(c, z.object({ reason: z.string() }).passthrough());
  await reportRoom(httpDb(c.env), roomId, c.get('requester').userId, req.reason);
  return c.json({});
});
