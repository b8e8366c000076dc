// Room history: /messages, /context, /members, /joined_members (spec: client-server "Getting
// events for a room", "Room membership").
import { Hono } from 'hono';
import { requireAuth, roomObject, userObject } from '../../../http/auth';
import { validate } from '../../../http/body';
import type { AppEnv, Ctx } from '../../../http/context';
import { ErrCode, MatrixError } from '../../../http/errors';
import { checkRoomId } from '../../../matrix/ids';
import type { EventFilterSpec } from '../../../matrix/event-filter';
import { parsePositionToken } from '../../../services/rooms/read';
import { roomEventFilter } from '../filter';

export const history = new Hono<AppEnv>();

function roomIdParam(c: Ctx): string {
  const roomId = c.req.param('roomId')!;
  if (checkRoomId(roomId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room id: ${roomId}`);
  return roomId;
}

const viewerOf = (c: Ctx) => ({ userId: c.get('requester').userId, deviceId: c.get('requester').deviceId });

function tokenParam(c: Ctx, name: string): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined || raw === '') return undefined;
  const pos = parsePositionToken(raw);
  if (pos === undefined) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid ${name} token`);
  return pos;
}

function limitParam(c: Ctx, fallback: number, max: number): number {
  const raw = c.req.query('limit');
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'limit must be a non-negative integer');
  return Math.min(n, max);
}

/** The `filter` query parameter: a JSON RoomEventFilter, or the id of a stored filter's room.timeline part. */
async function filterParam(c: Ctx): Promise<EventFilterSpec | undefined> {
  const raw = c.req.query('filter');
  if (raw === undefined || raw === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new MatrixError(400, ErrCode.NOT_JSON, 'filter is not valid JSON');
  }
  if (typeof value === 'number' || (typeof value === 'string' && /^\d+$/.test(value))) {
    const r = c.get('requester');
    const stored = await userObject(c.env, r.userId).getFilter(r.userId, String(value));
    value = (stored.room as Record<string, unknown> | undefined)?.timeline ?? {};
  }
  return validate(roomEventFilter, value, ErrCode.BAD_JSON) as EventFilterSpec;
}

history.get('/rooms/:roomId/messages', requireAuth({ allowGuests: true }), async (c) => {
  const roomId = roomIdParam(c);
  const dir = c.req.query('dir') ?? 'b';
  if (dir !== 'b' && dir !== 'f') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'dir must be "b" or "f"');
  const from = tokenParam(c, 'from');
  const query = { dir: dir as 'b' | 'f', from, fromToken: from === undefined ? undefined : c.req.query('from'), to: tokenParam(c, 'to'), limit: limitParam(c, 10, 1000), filter: await filterParam(c) };
  if (query.filter?.limit !== undefined) query.limit = Math.min(query.limit, query.filter.limit);
  return c.json(await roomObject(c.env, roomId).messages(roomId, viewerOf(c), query));
});

history.get('/rooms/:roomId/context/:eventId', requireAuth({ allowGuests: true }), async (c) => {
  const roomId = roomIdParam(c);
  return c.json(await roomObject(c.env, roomId).context(roomId, viewerOf(c), c.req.param('eventId'), limitParam(c, 10, 100), await filterParam(c)));
});

const MEMBERSHIPS = new Set(['join', 'invite', 'knock', 'leave', 'ban']);

history.get('/rooms/:roomId/members', requireAuth({ allowGuests: true }), async (c) => {
  const roomId = roomIdParam(c);
  const membership = c.req.query('membership');
  const notMembership = c.req.query('not_membership');
  for (const m of [membership, notMembership]) if (m !== undefined && !MEMBERSHIPS.has(m)) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Unknown membership ${m}`);
  const chunk = await roomObject(c.env, roomId).members(roomId, viewerOf(c), { at: tokenParam(c, 'at'), membership, notMembership });
  return c.json({ chunk });
});

history.get('/rooms/:roomId/joined_members', requireAuth({ allowGuests: true }), async (c) => {
  const roomId = roomIdParam(c);
  return c.json(await roomObject(c.env, roomId).joinedMembers(roomId, c.get('requester').userId));
});
