// Login tokens (spec: client-server "Token-based login", POST /login/get_token): a signed-in client
// lets another device sign in as the same user. A token is single use and short-lived; like access
// tokens it names its user (the spec requires it), so its login goes straight to that user's object.
import type { Db } from '../../db/client';
import { getUser } from '../../db/queries/accounts';
import { insertLoginToken, takeLoginToken } from '../../db/queries/login-tokens';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { hashToken, newDeviceId, newToken } from '../auth/tokens';
import { issueSession, localpartOf, type IssuedSession } from '../account/sessions';
import type { UserScope } from '../account/scope';
import { userLocked } from '../moderation/errors';

/** Two minutes: the spec's recommended default, and Synapse's. */
export const LOGIN_TOKEN_LIFETIME_MS = 120_000;

export async function issueLoginToken(db: Db, userId: string, now = Date.now()): Promise<{ login_token: string; expires_in_ms: number }> {
  const token = newToken('login', localpartOf(userId));
  await insertLoginToken(db, await hashToken(token), userId, now + LOGIN_TOKEN_LIFETIME_MS, now);
  return { login_token: token, expires_in_ms: LOGIN_TOKEN_LIFETIME_MS };
}

export interface TokenLoginInput {
  tokenHash: string;
  deviceId?: string;
  initialDeviceDisplayName?: string;
  withRefresh: boolean;
  tokenLifetimeMs: number;
}

export const invalidLoginToken = () => new MatrixError(403, ErrCode.FORBIDDEN, 'Invalid login token');

/** Inside the user's object: spends the token (whatever happens next) and opens a session. */
export async function loginWithToken(scope: UserScope, input: TokenLoginInput, now = Date.now()): Promise<IssuedSession> {
  const token = await takeLoginToken(scope.db, input.tokenHash, scope.userId);
  if (!token || token.expiresTs <= now) throw invalidLoginToken();
  const user = await getUser(scope.db, scope.userId);
  if (!user) throw invalidLoginToken();
  if (user.deactivated) throw new MatrixError(403, ErrCode.USER_DEACTIVATED, 'This account has been deactivated');
  if (user.locked) throw userLocked();
  return issueSession(scope, {
    deviceId: input.deviceId ?? newDeviceId(),
    displayName: input.initialDeviceDisplayName,
    withRefresh: input.withRefresh,
    tokenLifetimeMs: input.tokenLifetimeMs,
  });
}
