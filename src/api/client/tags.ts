// Room tags (spec: client-server "Room Tagging"): stored as the room's m.tag account data, so they
// reach every device of the user through /sync.
import { Hono } from 'hono';
import { requireAuth, userObject } from '../../http/auth';
import { jsonObject } from '../../http/body';
import type { AppEnv, Ctx } from '../../http/context';
import { ErrCode, MatrixError, forbidden } from '../../http/errors';
import { checkRoomId } from '../../matrix/ids';
import { checkTagContent, checkTagName, TAG_EVENT_TYPE, tagsOf } from '../../matrix/room-tags';

export const tags = new Hono<AppEnv>();

/** The user and room of the path: only one's own tags. */
function target(c: Ctx, verb: string): { userId: string; roomId: string } {
  const userId = c.req.param('userId')!;
  if (userId !== c.get('requester').userId) throw forbidden(`Cannot ${verb} tags for other users`);
  const roomId = c.req.param('roomId')!;
  if (checkRoomId(roomId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room id: ${roomId}`);
  return { userId, roomId };
}

function tagParam(c: Ctx): string {
  const tag = c.req.param('tag')!;
  checkTagName(tag);
  return tag;
}

tags.get('/user/:userId/rooms/:roomId/tags', requireAuth({ allowGuests: true }), async (c) => {
  const { userId, roomId } = target(c, 'read');
  try {
    return c.json({ tags: tagsOf(await userObject(c.env, userId).getAccountData(userId, roomId, TAG_EVENT_TYPE)) });
  } catch (e) {
    if (e instanceof MatrixError && e.status === 404) return c.json({ tags: {} });
    throw e;
  }
});

tags.put('/user/:userId/rooms/:roomId/tags/:tag', requireAuth({ allowGuests: true }), async (c) => {
  const { userId, roomId } = target(c, 'add');
  const tag = tagParam(c);
  const content = await jsonObject(c);
  checkTagContent(content);
  await userObject(c.env, userId).setRoomTag(userId, roomId, tag, content);
  return c.json({});
});

tags.delete('/user/:userId/rooms/:roomId/tags/:tag', requireAuth({ allowGuests: true }), async (c) => {
  const { userId, roomId } = target(c, 'remove');
  await userObject(c.env, userId).setRoomTag(userId, roomId, tagParam(c), null);
  return c.json({});
});
