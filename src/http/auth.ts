// Access-token authentication (spec: Client Authentication). The token names its user, so the
// request goes straight to that user's object, which answers from its session cache.
import type { MiddlewareHandler } from 'hono';
import type { Env } from '../config';
import { hashToken, tokenLocalpart } from '../services/auth/tokens';
import { userLocked } from '../services/moderation/errors';
import { refuseIfSuspended } from '../services/moderation/suspension';
import { unwrapping } from '../services/rpc';
import { cacheSession, cachedSession } from './session-cache';
import type { AppEnv, Ctx, Requester } from './context';
import { ErrCode, MatrixError } from './errors';

export function userObject(env: Env, userId: string) {
  return unwrapping(env.USER.get(env.USER.idFromName(userId)));
}

export function roomObject(env: Env, roomId: string) {
  return unwrapping(env.ROOM.get(env.ROOM.idFromName(roomId)));
}

/** The access token from `Authorization: Bearer` or the deprecated `access_token` query parameter. */
export function accessTokenOf(req: Request): string | undefined {
  const header = req.headers.get('authorization');
  if (header !== null) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1] : undefined;
  }
  const q = new URL(req.url).searchParams.get('access_token');
  return q ?? undefined;
}

export function clientIp(req: Request): string | null {
  return req.headers.get('cf-connecting-ip');
}

const missing = () => new MatrixError(401, ErrCode.MISSING_TOKEN, 'Missing access token');
const unknown = () => new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'Unrecognised access token', { soft_logout: false });

/**
 * The requester of an access token. A locked account is refused (401 M_USER_LOCKED) unless
 * `allowLocked` (spec: "Account locking": only logout is allowed).
 */
export async function authenticate(c: Ctx, { allowLocked = false } = {}): Promise<Requester> {
  const requester = await session(c);
  if (requester.locked && !allowLocked) throw userLocked();
  return requester;
}

async function session(c: Ctx): Promise<Requester> {
  const req = c.req.raw;
  const hasHeader = req.headers.has('authorization');
  const token = accessTokenOf(req);
  if (token === undefined) throw hasHeader ? unknown() : missing();
  const localpart = tokenLocalpart('access', token);
  if (localpart === undefined) throw unknown();
  const tokenHash = await hashToken(token);
  const cached = cachedSession(tokenHash);
  if (cached) return cached;
  const userId = `@${localpart}:${c.get('config').serverName}`;
  const { expiresTs, ...requester } = await userObject(c.env, userId).authenticate(userId, tokenHash, {
    ip: clientIp(req),
    userAgent: req.headers.get('user-agent'),
  });
  cacheSession(requester, expiresTs);
  return requester;
}

/**
 * Requires a valid access token; guests only where `allowGuests` (spec: Guest Access), locked
 * accounts only where `allowLocked`. A suspended account is refused what suspension forbids.
 */
export function requireAuth(opts: { allowGuests?: boolean; allowLocked?: boolean } = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requester = await authenticate(c, opts);
    if (requester.isGuest && !opts.allowGuests) {
      throw new MatrixError(403, ErrCode.GUEST_ACCESS_FORBIDDEN, 'Guest access is not allowed here');
    }
    c.set('requester', requester);
    if (requester.suspended) await refuseIfSuspended(c);
    await next();
  };
}
