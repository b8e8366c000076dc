// Suspending and locking accounts (spec: client-server "Server administration", v1.18), inside the
// target user's object: the flags are written, then its exact session cache sees them at once.
import { eq } from 'drizzle-orm';
import { users } from '../../db/schema';
import type { UserScope } from '../account/scope';

export type ModerationFlag = 'suspended' | 'locked';

/** Sets one flag. Locking keeps the account's tokens (spec: servers SHOULD NOT invalidate them). */
export async function setAccountFlag(scope: UserScope, flag: ModerationFlag, value: boolean): Promise<void> {
  await scope.db.update(users).set({ [flag]: value }).where(eq(users.userId, scope.userId));
  scope.sessions.update((s) => {
    s[flag] = value;
  });
}
