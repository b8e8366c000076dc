// GET /relations and GET /threads (spec: "Event relationships", "Threading"), v1 endpoints.
import { Hono } from 'hono';
import { requireAuth, roomObject } from '../../../http/auth';
import type { AppEnv, Ctx } from '../../../http/context';
import { ErrCode, MatrixError } from '../../../http/errors';
import { checkEventId, checkRoomId } from '../../../matrix/ids';
import { parsePositionToken } from '../../../services/rooms/read';

export const relations = new Hono<AppEnv>();

function roomIdParam(c: Ctx): string {
  const roomId = c.req.param('roomId')!;
  if (checkRoomId(roomId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room id: ${roomId}`);
  return roomId;
}

function token(c: Ctx, name: string): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return undefined;
  const pos = parsePositionToken(raw);
  if (pos === undefined) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid ${name} token`);
  return pos;
}

function limit(c: Ctx, fallback: number): number {
  const raw = c.req.query('limit');
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) === 0) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'limit must be a positive integer');
  return Math.min(Number(raw), 1000);
}

const viewerOf = (c: Ctx) => ({ userId: c.get('requester').userId, deviceId: c.get('requester').deviceId });

async function handle(c: Ctx) {
  const roomId = roomIdParam(c);
  const eventId = c.req.param('eventId')!;
  if (checkEventId(eventId) !== null) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Event not found');
  const dir = c.req.query('dir') ?? 'b';
  if (dir !== 'b' && dir !== 'f') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'dir must be "b" or "f"');
  const recurse = c.req.query('recurse');
  if (recurse !== undefined && recurse !== 'true' && recurse !== 'false') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'recurse must be true or false');
  const result = await roomObject(c.env, roomId).relations(roomId, viewerOf(c), {
    eventId,
    relType: c.req.param('relType'),
    eventType: c.req.param('eventType'),
    from: token(c, 'from'),
    to: token(c, 'to'),
    dir,
    // Synapse's default page size for relations.
    limit: limit(c, 5),
    recurse: recurse === 'true',
  });
  return c.json(result);
}

relations.get('/rooms/:roomId/relations/:eventId', requireAuth({ allowGuests: true }), handle);
relations.get('/rooms/:roomId/relations/:eventId/:relType', requireAuth({ allowGuests: true }), handle);
relations.get('/rooms/:roomId/relations/:eventId/:relType/:eventType', requireAuth({ allowGuests: true }), handle);

relations.get('/rooms/:roomId/threads', requireAuth({ allowGuests: true }), async (c) => {
  const roomId = roomIdParam(c);
  const include = c.req.query('include') ?? 'all';
  if (include !== 'all' && include !== 'participated') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'include must be "all" or "participated"');
  return c.json(await roomObject(c.env, roomId).threads(roomId, viewerOf(c), { include, from: token(c, 'from'), limit: limit(c, 5) }));
});
