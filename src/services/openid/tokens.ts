// OpenID tokens (spec: client-server "OpenID"): a user proves who they are to a third party (a
// widget, an integration manager) without handing over their access token. The third party asks
// this server's federation API who the token belongs to; the token grants nothing else.
import type { Db } from '../../db/client';
import { insertOpenIdToken, openIdTokenUser } from '../../db/queries/openid';
import { hashToken, randomString } from '../auth/tokens';

/** An hour, as Synapse issues them. */
const LIFETIME_MS = 3600 * 1000;

export interface OpenIdToken {
  access_token: string;
  token_type: 'Bearer';
  matrix_server_name: string;
  expires_in: number;
}

export async function issueOpenIdToken(db: Db, userId: string, serverName: string, now = Date.now()): Promise<OpenIdToken> {
  const token = randomString(32);
  await insertOpenIdToken(db, await hashToken(token), userId, now + LIFETIME_MS, now);
  return { access_token: token, token_type: 'Bearer', matrix_server_name: serverName, expires_in: LIFETIME_MS / 1000 };
}

/** The user id behind a token, or undefined when it is unknown or expired. */
export async function openIdUser(db: Db, token: string, now = Date.now()): Promise<string | undefined> {
  return openIdTokenUser(db, await hashToken(token), now);
}
