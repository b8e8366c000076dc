// PUT /rooms/{roomId}/typing/{userId} (spec: "Typing Notifications").
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAuth, roomObject } from '../../http/auth';
import { body } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { checkRoomId } from '../../matrix/ids';

export const typing = new Hono<AppEnv>();

const typingBody = z.object({ typing: z.boolean(), timeout: z.number().int().min(0).optional() });

typing.put('/rooms/:roomId/typing/:userId', requireAuth({ allowGuests: true }), async (c) => {
  const r = c.get('requester');
  const roomId = c.req.param('roomId');
  if (checkRoomId(roomId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room id: ${roomId}`);
  if (c.req.param('userId') !== r.userId) throw new MatrixError(403, ErrCode.FORBIDDEN, 'You can only set your own typing state');
  const req = await body(c, typingBody);
  // A client that omits the timeout gets Synapse's default of 30 seconds.
  await roomObject(c.env, roomId).typing(roomId, r.userId, req.typing, req.timeout ?? 30_000);
  return c.json({});
});
