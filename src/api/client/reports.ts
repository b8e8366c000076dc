// POST /_matrix/client/v3/users/{userId}/report (spec v1.14: client-server "Reporting content",
// MSC4260). Like room and event reports (rooms/report.ts), every well-formed report is answered
// 200 after the same single statement, stored only when the user is known here: the spec lets a
// server not disclose whether a user exists, and the answer and its timing reveal nothing.
import { Hono } from 'hono';
import { z } from 'zod';
import { httpDb } from '../../db/client';
import { reportUser } from '../../db/queries/reports';
import { requireAuth } from '../../http/auth';
import { body } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { invalidParam } from '../../http/errors';
import { checkUserId } from '../../matrix/ids';

export const userReports = new Hono<AppEnv>();

userReports.post('/users/:userId/report', requireAuth(), async (c) => {
  const userId = c.req.param('userId');
  if (checkUserId(userId) !== null || userId.includes('\u0000')) throw invalidParam(`Invalid user id: ${userId}`);
  const req = await body(c, z.object({ reason: z.string().refine((s) => !s.includes('\u0000'), 'reason cannot contain U+0000') }).passthrough());
  await reportUser(httpDb(c.env), userId, c.get('requester').userId, req.reason);
  return c.json({});
});
