// Shared steps of the v1.17–v1.19 tests.
import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import type { Env } from '../../../src/config';
import { httpDb } from '../../../src/db/client';
import { users } from '../../../src/db/schema';
import { call, registerUser, type Reply, type TestUser } from '../helpers/client';
import { enc } from '../helpers/rooms';

export const db = () => httpDb(env as unknown as Env);

/** A server admin: the flag is set before the account's first authenticated request. */
export async function registerAdmin(): Promise<TestUser> {
  const user = await registerUser();
  await db().update(users).set({ admin: true }).where(eq(users.userId, user.userId));
  return user;
}

export const v1 = (path: string) => `/_matrix/client/v1${path}`;

export function getModeration(admin: { token: string }, what: 'suspend' | 'lock', userId: string): Promise<Reply> {
  return call('GET', v1(`/admin/${what}/${enc(userId)}`), { token: admin.token });
}

export function putModeration(admin: { token: string }, what: 'suspend' | 'lock', userId: string, body: unknown): Promise<Reply> {
  return call('PUT', v1(`/admin/${what}/${enc(userId)}`), { token: admin.token, body });
}

export function putAccountData(user: TestUser, type: string, content: Record<string, unknown>): Promise<Reply> {
  return call('PUT', `/_matrix/client/v3/user/${enc(user.userId)}/account_data/${enc(type)}`, { token: user.token, body: content });
}

export function getAccountData(user: TestUser, type: string): Promise<Reply> {
  return call('GET', `/_matrix/client/v3/user/${enc(user.userId)}/account_data/${enc(type)}`, { token: user.token });
}
