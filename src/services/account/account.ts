// Account lifecycle inside the user's object: registration, login, password, deactivation.
import { eq } from 'drizzle-orm';
import { ErrCode, MatrixError } from '../../matrix/errors';
import * as q from '../../db/queries/accounts';
import { users } from '../../db/schema';
import { config } from '../../config';
import { burnPasswordCheck, verifyPassword } from '../auth/passwords';
import { newDeviceId } from '../auth/tokens';
import { deleteDevices, issueSession, localpartOf, logoutAll, type IssuedSession } from './sessions';
import type { UserScope } from './scope';
import { removeDirectoryEntry, updateDirectoryEntry } from '../directory/entries';
import { userLocked } from '../moderation/errors';

export interface RegisterInput {
  passwordHash: string | null;
  isGuest: boolean;
  admin?: boolean;
  deviceId?: string;
  initialDeviceDisplayName?: string;
  inhibitLogin: boolean;
  withRefresh: boolean;
  tokenLifetimeMs: number;
}

export async function register(scope: UserScope, input: RegisterInput): Promise<IssuedSession | { user_id: string }> {
  // Synapse's default: a new account's display name is its localpart.
  const profile = { displayname: localpartOf(scope.userId) };
  const created = await q.insertUser(scope.db, {
    userId: scope.userId,
    passwordHash: input.passwordHash,
    createdTs: Date.now(),
    isGuest: input.isGuest,
    admin: input.admin ?? false,
    profile,
  });
  if (!created) throw new MatrixError(400, ErrCode.USER_IN_USE, 'User ID already taken.');
  await updateDirectoryEntry(scope.db, scope.userId, profile);
  if (input.inhibitLogin) return { user_id: scope.userId };
  return issueSession(scope, {
    deviceId: input.deviceId ?? newDeviceId(),
    displayName: input.initialDeviceDisplayName,
    withRefresh: input.withRefresh,
    tokenLifetimeMs: input.tokenLifetimeMs,
  });
}

const invalidLogin = () => new MatrixError(403, ErrCode.FORBIDDEN, 'Invalid username or password');

export interface LoginInput {
  password: string;
  deviceId?: string;
  initialDeviceDisplayName?: string;
  withRefresh: boolean;
  tokenLifetimeMs: number;
}

export async function checkPassword(scope: UserScope, password: string): Promise<boolean> {
  const user = await q.getUser(scope.db, scope.userId);
  if (!user || user.deactivated) {
    await burnPasswordCheck(password, config(scope.env).passwordIterations);
    return false;
  }
  return verifyPassword(password, user.passwordHash);
}

export async function login(scope: UserScope, input: LoginInput): Promise<IssuedSession> {
  const user = await q.getUser(scope.db, scope.userId);
  if (!user) {
    await burnPasswordCheck(input.password, config(scope.env).passwordIterations);
    throw invalidLogin();
  }
  if (!(await verifyPassword(input.password, user.passwordHash))) throw invalidLogin();
  if (user.deactivated) throw new MatrixError(403, ErrCode.USER_DEACTIVATED, 'This account has been deactivated');
  // A locked account gets no new access token until it is unlocked (spec: "Soft logout").
  if (user.locked) throw userLocked();
  return issueSession(scope, {
    deviceId: input.deviceId ?? newDeviceId(),
    displayName: input.initialDeviceDisplayName,
    withRefresh: input.withRefresh,
    tokenLifetimeMs: input.tokenLifetimeMs,
  });
}

/** POST /account/password after user-interactive auth. */
export async function changePassword(scope: UserScope, passwordHash: string, logoutDevices: boolean, keepDeviceId?: string): Promise<void> {
  await q.setPasswordHash(scope.db, scope.userId, passwordHash);
  if (logoutDevices) await logoutAll(scope, keepDeviceId);
}

/** POST /account/deactivate after user-interactive auth: no login, no devices, no profile. */
export async function deactivate(scope: UserScope): Promise<void> {
  await scope.db.update(users).set({ deactivated: true, passwordHash: null, profile: {} }).where(eq(users.userId, scope.userId));
  await removeDirectoryEntry(scope.db, scope.userId);
  await deleteDevices(scope, await q.otherDeviceIds(scope.db, scope.userId, undefined));
  scope.sessions.clear();
}
