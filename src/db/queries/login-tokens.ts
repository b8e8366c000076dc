// Login tokens, stored as SHA-256 digests with their expiry.
import { and, eq, lt } from 'drizzle-orm';
import type { Db } from '../client';
import { loginTokens } from '../schema';

/** Stores a token, clearing expired ones on the way (the index on expiry keeps that cheap). */
export async function insertLoginToken(db: Db, tokenHash: string, userId: string, expiresTs: number, now: number): Promise<void> {
  await db.delete(loginTokens).where(lt(loginTokens.expiresTs, now));
  await db.insert(loginTokens).values({ tokenHash, userId, expiresTs });
}

/** Deletes the token and returns its expiry: of concurrent logins with one token, only one gets it. */
export async function takeLoginToken(db: Db, tokenHash: string, userId: string): Promise<{ expiresTs: number } | undefined> {
  const [row] = await db
    .delete(loginTokens)
    .where(and(eq(loginTokens.tokenHash, tokenHash), eq(loginTokens.userId, userId)))
    .returning({ expiresTs: loginTokens.expiresTs });
  return row;
}
