// Reading a room's events from another server (spec: server-server "Retrieving events",
// "Backfilling and retrieving missing events").
import { Hono } from 'hono';
import { z } from 'zod';
import { roomObject } from '../../http/auth';
import { validate } from '../../http/body';
import type { AppEnv, Ctx } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { requireServerAuth } from '../../http/federation-auth';
import { checkRoomId } from '../../matrix/ids';
import { config } from '../../config';
import { httpDb } from '../../db/client';
import { getEvent } from '../../db/queries/rooms';

export const federationEvents = new Hono<AppEnv>();

function roomIdParam(c: Ctx): string {
  const roomId = c.req.param('roomId')!;
  if (checkRoomId(roomId) !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid room id: ${roomId}`);
  return roomId;
}

function eventIdQuery(c: Ctx): string {
  const id = c.req.query('event_id');
  if (!id) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'event_id is required');
  return id;
}

/** Single events are answered with the transaction shape (spec: GET /event/{eventId}). */
federationEvents.get('/v1/event/:eventId', requireServerAuth, async (c) => {
  const eventId = c.req.param('eventId');
  const roomId = c.req.query('room_id');
  // The endpoint has no room in its path: find the room through the event itself.
  const stored = await getEvent(httpDb(c.env), eventId);
  if (!stored || (roomId !== undefined && stored.roomId !== roomId)) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Event not found');
  const { pdu } = await roomObject(c.env, stored.roomId).fedEvent(stored.roomId, c.get('origin'), eventId);
  return c.json({ origin: config(c.env).serverName, origin_server_ts: Date.now(), pdus: [pdu] });
});

federationEvents.get('/v1/state/:roomId', requireServerAuth, async (c) => {
  const roomId = roomIdParam(c);
  return c.json(await roomObject(c.env, roomId).fedState(roomId, c.get('origin'), eventIdQuery(c)));
});

federationEvents.get('/v1/state_ids/:roomId', requireServerAuth, async (c) => {
  const roomId = roomIdParam(c);
  return c.json(await roomObject(c.env, roomId).fedStateIds(roomId, c.get('origin'), eventIdQuery(c)));
});

federationEvents.get('/v1/event_auth/:roomId/:eventId', requireServerAuth, async (c) => {
  const roomId = roomIdParam(c);
  return c.json(await roomObject(c.env, roomId).fedEventAuth(roomId, c.get('origin'), c.req.param('eventId')));
});

federationEvents.get('/v1/backfill/:roomId', requireServerAuth, async (c) => {
  const roomId = roomIdParam(c);
  const from = new URL(c.req.url).searchParams.getAll('v');
  const limit = Number(c.req.query('limit') ?? '10');
  if (from.length === 0) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'v is required');
  if (!Number.isSafeInteger(limit) || limit < 1) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'limit must be a positive integer');
  const { pdus } = await roomObject(c.env, roomId).fedBackfill(roomId, c.get('origin'), from, Math.min(limit, 100));
  return c.json({ origin: config(c.env).serverName, origin_server_ts: Date.now(), pdus });
});

const missingBody = z.object({
  earliest_events: z.array(z.string()),
  latest_events: z.array(z.string()),
  limit: z.number().int().min(1).optional(),
  min_depth: z.number().int().min(0).optional(),
});

federationEvents.post('/v1/get_missing_events/:roomId', requireServerAuth, async (c) => {
  const roomId = roomIdParam(c);
  const req = validate(missingBody, c.get('federationBody'));
  return c.json(await roomObject(c.env, roomId).fedMissingEvents(roomId, c.get('origin'), req.earliest_events, req.latest_events, Math.min(req.limit ?? 10, 100), req.min_depth ?? 0));
});

federationEvents.get('/v1/timestamp_to_event/:roomId', requireServerAuth, async (c) => {
  const roomId = roomIdParam(c);
  const ts = Number(c.req.query('ts'));
  const dir = c.req.query('dir');
  if (!Number.isSafeInteger(ts) || ts < 0) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'ts must be a timestamp in milliseconds');
  if (dir !== 'f' && dir !== 'b') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'dir must be "f" or "b"');
  return c.json(await roomObject(c.env, roomId).fedTimestampToEvent(roomId, c.get('origin'), ts, dir));
});
