// OpenID tokens, stored as SHA-256 digests with their expiry.
import { and, eq, gt, lt, sql } from 'drizzle-orm';
import type { Db } from '../client';
import { openidTokens, users } from '../schema';

/** Stores a token, clearing expired ones on the way (the index on expiry keeps that cheap). */
export async function insertOpenIdToken(db: Db, tokenHash: string, userId: string, expiresTs: number, now: number): Promise<void> {
  await db.delete(openidTokens).where(lt(openidTokens.expiresTs, now));
  await db.insert(openidTokens).values({ tokenHash, userId, expiresTs });
}

/** The user a live token belongs to; none for unknown or expired tokens, or deactivated accounts. */
export async function openIdTokenUser(db: Db, tokenHash: string, now: number): Promise<string | undefined> {
  const [row] = await db
    .select({ userId: openidTokens.userId })
    .from(openidTokens)
    .innerJoin(users, eq(users.userId, openidTokens.userId))
    .where(and(eq(openidTokens.tokenHash, tokenHash), gt(openidTokens.expiresTs, now), sql`not ${users.deactivated}`));
  return row?.userId;
}
