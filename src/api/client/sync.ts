// GET /sync (spec: client-server "Syncing"). Authentication and the whole computation happen in
// the user's object, where the connection, the caches and the parked long-polls are. Clients call
// it more than anything else, so the Worker's entry serves it without the router.
import { Hono } from 'hono';
import { accessTokenOf, clientIp, userObject } from '../../http/auth';
import type { AppEnv } from '../../http/context';
import { config, type Env } from '../../config';
import { CORS_HEADERS } from '../../http/cors';
import { ErrCode, failureResponse, MatrixError } from '../../http/errors';
import { hashToken, tokenLocalpart } from '../../services/auth/tokens';
import { parseSyncParams } from '../../services/sync/params';

const JSON_HEADERS = { 'content-type': 'application/json', ...CORS_HEADERS };

/** GET /sync, from the request alone: the Worker's entry serves it without the router (src/index.ts). */
export async function syncResponse(request: Request, env: Env): Promise<Response> {
  try {
    const token = accessTokenOf(request);
    if (token === undefined) {
      if (request.headers.get('authorization') !== null) throw new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'Unrecognised access token', { soft_logout: false });
      throw new MatrixError(401, ErrCode.MISSING_TOKEN, 'Missing access token');
    }
    const localpart = tokenLocalpart('access', token);
    if (localpart === undefined) throw new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'Unrecognised access token', { soft_logout: false });
    const query = new URL(request.url).searchParams;
    const params = parseSyncParams((name) => query.get(name) ?? undefined);
    const userId = `@${localpart}:${config(env).serverName}`;
    const response = await userObject(env, userId).sync(userId, await hashToken(token), params, {
      ip: clientIp(request),
      userAgent: request.headers.get('user-agent'),
    });
    return new Response(JSON.stringify(response), { headers: JSON_HEADERS });
  } catch (e) {
    return failureResponse(e, request, CORS_HEADERS);
  }
}


// Registered for the router's sake (other methods on the path answer 405); GET is served before it.
export const sync = new Hono<AppEnv>();
sync.get('/sync', (c) => syncResponse(c.req.raw, c.env));
