// Sessions: authenticating access tokens, issuing token pairs, refresh and logout
// (spec: Client Authentication, Login, Refresh, Logout).
import { eq } from 'drizzle-orm';
import { ErrCode, MatrixError } from '../../matrix/errors';
import * as q from '../../db/queries/accounts';
import { accessTokens, refreshTokens } from '../../db/schema';
import type { Requester } from '../../http/context';
import { hashToken, newToken } from '../auth/tokens';
import { deviceListChanged, devicesDeleted } from '../e2ee/device-lists';
import { userLocked } from '../moderation/errors';
import type { Session, UserScope } from './scope';

const unknownToken = (softLogout: boolean, error = 'Unrecognised access token') =>
  new MatrixError(401, ErrCode.UNKNOWN_TOKEN, error, { soft_logout: softLogout });

export function localpartOf(userId: string): string {
  return userId.slice(1, userId.indexOf(':'));
}

/**
 * The session of an access token. A locked account's tokens stay valid but are refused (spec:
 * "Account locking") unless `allowLocked`: the caller then decides (only logout is allowed).
 */
export async function authenticate(scope: UserScope, tokenHash: string, { allowLocked = false } = {}, now = Date.now()): Promise<Requester & { expiresTs: number | null }> {
  let session = scope.sessions.get(tokenHash);
  if (!session) {
    const row = await q.findSession(scope.db, tokenHash);
    if (!row || row.userId !== scope.userId || row.deactivated) throw unknownToken(false);
    session = { ...row };
    scope.sessions.set(tokenHash, session);
  }
  // An expired token that could be refreshed is a soft logout: the client keeps its data.
  if (session.expiresTs !== null && session.expiresTs <= now) throw unknownToken(true, 'Access token has expired');
  if (session.locked && !allowLocked) throw userLocked();
  if (!session.used) {
    session.used = true;
    await q.markSessionUsed(scope.db, tokenHash, session.refreshTokenId);
  }
  const { userId, deviceId, isGuest, admin, suspended, locked, expiresTs } = session;
  return { userId, deviceId, isGuest, admin, suspended, locked, tokenHash, expiresTs };
}

export interface IssuedSession {
  user_id: string;
  device_id: string;
  access_token: string;
  refresh_token?: string;
  expires_in_ms?: number;
}

/** Creates (or reuses) the device and issues an access token, with a refresh token when asked. */
export async function issueSession(
  scope: UserScope,
  opts: { deviceId: string; displayName?: string | null; withRefresh: boolean; tokenLifetimeMs: number; previousRefreshId?: number; now?: number },
): Promise<IssuedSession> {
  const now = opts.now ?? Date.now();
  const localpart = localpartOf(scope.userId);
  const accessToken = newToken('access', localpart);
  const out: IssuedSession = { user_id: scope.userId, device_id: opts.deviceId, access_token: accessToken };
  const newDevice = await q.upsertDevice(scope.db, { userId: scope.userId, deviceId: opts.deviceId, displayName: opts.displayName ?? null, createdTs: now });
  let refreshTokenId: number | null = null;
  let expiresTs: number | null = null;
  if (opts.withRefresh) {
    const refreshToken = newToken('refresh', localpart);
    const [row] = await scope.db
      .insert(refreshTokens)
      .values({ tokenHash: await hashToken(refreshToken), userId: scope.userId, deviceId: opts.deviceId, createdTs: now, previousId: opts.previousRefreshId ?? null })
      .returning({ id: refreshTokens.id });
    refreshTokenId = row.id;
    expiresTs = now + opts.tokenLifetimeMs;
    out.refresh_token = refreshToken;
    out.expires_in_ms = opts.tokenLifetimeMs;
  }
  await scope.db.insert(accessTokens).values({
    tokenHash: await hashToken(accessToken),
    userId: scope.userId,
    deviceId: opts.deviceId,
    createdTs: now,
    expiresTs,
    refreshTokenId,
    // A plain login has no predecessor to retire, so it starts out "used".
    used: opts.previousRefreshId === undefined,
  });
  if (newDevice) await deviceListChanged(scope, { devices: [opts.deviceId] });
  return out;
}

/**
 * POST /refresh. The old refresh token stays valid until the new pair is first used (spec), so a
 * client that lost the response can retry; once the new pair is used, the old one is refused.
 */
export async function refresh(scope: UserScope, refreshTokenHash: string, tokenLifetimeMs: number): Promise<IssuedSession> {
  const row = await q.findRefreshToken(scope.db, refreshTokenHash);
  if (!row || row.userId !== scope.userId) throw unknownToken(false, 'Unrecognised refresh token');
  const user = await q.getUser(scope.db, scope.userId);
  if (!user || user.deactivated) throw unknownToken(false, 'Unrecognised refresh token');
  if (user.locked) throw userLocked();
  // Using this refresh token proves the client has it: its predecessor can go now.
  await q.retirePreviousRefreshToken(scope.db, row.id);
  // The access tokens issued with this refresh token are superseded by the new pair.
  const old = await scope.db.delete(accessTokens).where(eq(accessTokens.refreshTokenId, row.id)).returning({ h: accessTokens.tokenHash });
  scope.sessions.drop(old.map((o) => o.h));
  return issueSession(scope, { deviceId: row.deviceId, withRefresh: true, tokenLifetimeMs, previousRefreshId: row.id });
}

/** Logs out one device (POST /logout): the device and all its tokens go. */
export async function logoutDevice(scope: UserScope, deviceId: string): Promise<void> {
  await deleteDevices(scope, [deviceId]);
}

export async function deleteDevices(scope: UserScope, deviceIds: string[]): Promise<void> {
  const hashes = await q.deleteDevices(scope.db, scope.userId, deviceIds);
  scope.sessions.drop(hashes);
  await devicesDeleted(scope, deviceIds);
}

export async function logoutAll(scope: UserScope, keepDeviceId?: string): Promise<void> {
  const ids = await q.otherDeviceIds(scope.db, scope.userId, keepDeviceId);
  await deleteDevices(scope, ids);
}

export type { Session };
