// Path and query parameters shared by the directory, discovery, search, report and upgrade
// handlers: each invalid one is a 400 naming it, never a 500.
import { authenticate, accessTokenOf } from '../../../http/auth';
import type { Ctx, Requester } from '../../../http/context';
import { ErrCode, MatrixError } from '../../../http/errors';
import { checkEventId, checkRoomAlias, checkRoomId } from '../../../matrix/ids';

const invalid = (why: string) => new MatrixError(400, ErrCode.INVALID_PARAM, why);

export function roomIdParam(c: Ctx, name = 'roomId'): string {
  const roomId = c.req.param(name)!;
  if (checkRoomId(roomId) !== null) throw invalid(`Invalid room id: ${roomId}`);
  return roomId;
}

export function eventIdParam(c: Ctx, name = 'eventId'): string {
  const eventId = c.req.param(name)!;
  if (checkEventId(eventId) !== null) throw invalid(`Invalid event id: ${eventId}`);
  return eventId;
}

export function aliasParam(c: Ctx, name = 'roomAlias'): string {
  const alias = c.req.param(name)!;
  const reason = checkRoomAlias(alias);
  if (reason !== null) throw invalid(`Room alias invalid: ${reason}`);
  return alias;
}

/** An integer query parameter at least `min`; undefined when absent. */
export function intQuery(c: Ctx, name: string, min: number): number | undefined {
  const raw = c.req.query(name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min) throw invalid(`${name} must be an integer of at least ${min}`);
  return n;
}

export function boolQuery(c: Ctx, name: string): boolean | undefined {
  const raw = c.req.query(name);
  if (raw === undefined) return undefined;
  if (raw !== 'true' && raw !== 'false') throw invalid(`${name} must be true or false`);
  return raw === 'true';
}

/** The requester of an endpoint where authentication is optional: a token, if sent, must be valid. */
export async function requesterIfAny(c: Ctx): Promise<Requester | undefined> {
  const req = c.req.raw;
  if (!req.headers.has('authorization') && accessTokenOf(req) === undefined) return undefined;
  return authenticate(c);
}
