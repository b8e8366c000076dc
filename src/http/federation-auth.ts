// Authenticating requests from other servers (spec: server-server "Request Authentication"):
// the X-Matrix header must name this server as destination and carry a valid signature of the
// origin over method, path with query, origin, destination and body.
import type { MiddlewareHandler } from 'hono';
import type { Env } from '../config';
import { httpDb } from '../db/client';
import { checkServerName } from '../matrix/ids';
import { verifyJsonSignature } from '../matrix/signing';
import { parseXMatrix, requestJson } from '../matrix/x-matrix';
import { verifyKeyOf } from '../services/federation/keys';
import { readBytes } from './body';
import type { AppEnv } from './context';
import { ErrCode, MatrixError } from './errors';

const unauthorized = (why: string) => new MatrixError(401, ErrCode.UNAUTHORIZED, why);

/**
 * A server that talks to us is reachable: our queue for it may stop backing off (as Synapse does
 * when a destination contacts it). At most once a minute per origin and isolate.
 */
const lastWake = new Map<string, number>();
function wakeSender(env: Env, origin: string): void {
  const now = Date.now();
  if (now - (lastWake.get(origin) ?? 0) < 60_000) return;
  lastWake.set(origin, now);
  void env.DESTINATION.get(env.DESTINATION.idFromName(origin)).flush().catch(() => undefined);
}

export const requireServerAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header('authorization');
  if (!header) throw unauthorized('Missing X-Matrix authorization');
  const auth = parseXMatrix(header);
  if (!auth) throw unauthorized('Malformed X-Matrix authorization');
  const ours = c.get('config').serverName;
  if (auth.destination !== undefined && auth.destination !== ours) throw unauthorized('This request is for another server');
  if (checkServerName(auth.origin) !== null) throw unauthorized('Invalid origin server name');
  if (auth.origin === ours) throw unauthorized('Requests from ourselves are not accepted');

  let content: unknown;
  const method = c.req.method;
  if (method !== 'GET' && method !== 'DELETE') {
    const bytes = await readBytes(c.req.raw, c.get('config').maxFederationBytes);
    if (bytes.byteLength) {
      try {
        content = JSON.parse(new TextDecoder().decode(bytes));
      } catch {
        throw new MatrixError(400, ErrCode.NOT_JSON, 'Content is not valid JSON');
      }
    }
  }
  const url = new URL(c.req.url);
  const signed = { ...requestJson(method, url.pathname + url.search, auth.origin, ours, content), signatures: { [auth.origin]: { [auth.key]: auth.sig } } };
  const key = await verifyKeyOf(c.env, httpDb(c.env), auth.origin, auth.key);
  if (!key) throw unauthorized(`Could not get the key ${auth.key} of ${auth.origin}`);
  if (!(await verifyJsonSignature(signed, auth.origin, auth.key, key))) throw unauthorized('Invalid X-Matrix signature');
  c.set('origin', auth.origin);
  wakeSender(c.env, auth.origin);
  // The body was read to check the signature: handlers take it from here.
  c.set('federationBody', content);
  await next();
};
