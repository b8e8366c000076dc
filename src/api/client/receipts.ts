// Receipts and read markers (spec: "Receipts", "Fully read markers").
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAuth, roomObject, userObject } from '../../http/auth';
import { body } from '../../http/body';
import type { AppEnv, Ctx } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { checkEventId, checkRoomId } from '../../matrix/ids';

export const receipts = new Hono<AppEnv>();

const RECEIPT_TYPES = new Set(['m.read', 'm.read.private', 'm.fully_read']);

function roomIdParam(c: Ctx): string {
  const roomId = c.req.param('roomId')!;
  if (checkRoomId(roomId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room id: ${roomId}`);
  return roomId;
}

function eventIdOf(value: string): string {
  if (checkEventId(value) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid event id: ${value}`);
  return value;
}

/** The fully-read marker is room account data the client cannot write directly. */
async function setFullyRead(c: Ctx, roomId: string, eventId: string): Promise<void> {
  const r = c.get('requester');
  await roomObject(c.env, roomId).event(roomId, { userId: r.userId }, eventId); // 404 if unknown or invisible
  await userObject(c.env, r.userId).putAccountData(r.userId, roomId, 'm.fully_read', { event_id: eventId });
}

receipts.post('/rooms/:roomId/receipt/:receiptType/:eventId', requireAuth({ allowGuests: true }), async (c) => {
  const r = c.get('requester');
  const roomId = roomIdParam(c);
  const type = c.req.param('receiptType');
  if (!RECEIPT_TYPES.has(type)) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Unknown receipt type ${type}`);
  const eventId = eventIdOf(c.req.param('eventId'));
  const req = await body(c, z.object({ thread_id: z.string().min(1).optional() }).passthrough(), { emptyAsObject: true });
  if (type === 'm.fully_read') {
    if (req.thread_id !== undefined) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'm.fully_read cannot be threaded');
    await setFullyRead(c, roomId, eventId);
  } else {
    await roomObject(c.env, roomId).receipt(roomId, r.userId, type, eventId, req.thread_id ?? '');
  }
  return c.json({});
});

const markersBody = z.object({ 'm.fully_read': z.string().optional(), 'm.read': z.string().optional(), 'm.read.private': z.string().optional() });

receipts.post('/rooms/:roomId/read_markers', requireAuth({ allowGuests: true }), async (c) => {
  const r = c.get('requester');
  const roomId = roomIdParam(c);
  const req = await body(c, markersBody);
  const room = roomObject(c.env, roomId);
  if (req['m.read'] !== undefined) await room.receipt(roomId, r.userId, 'm.read', eventIdOf(req['m.read']), '');
  if (req['m.read.private'] !== undefined) await room.receipt(roomId, r.userId, 'm.read.private', eventIdOf(req['m.read.private']), '');
  if (req['m.fully_read'] !== undefined) await setFullyRead(c, roomId, eventIdOf(req['m.fully_read']));
  return c.json({});
});
