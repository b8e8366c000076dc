// POST /login/get_token and the m.login.token login type (spec: client-server "Login",
// "Token-based login").
import { Hono } from 'hono';
import { z } from 'zod';
import type { RateSpec } from '../../config';
import { httpDb } from '../../db/client';
import { requireAuth, userObject } from '../../http/auth';
import { body } from '../../http/body';
import type { AppEnv, Ctx } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { rateLimit } from '../../http/rate-limit';
import { checkUserId } from '../../matrix/ids';
import type { IssuedSession } from '../../services/account/sessions';
import { hashToken, tokenLocalpart } from '../../services/auth/tokens';
import { finishUia, requireUia } from '../../services/auth/uia';
import { invalidLoginToken, issueLoginToken } from '../../services/login-token/tokens';

/** Mounted under /_matrix/client/v1. */
export const loginToken = new Hono<AppEnv>();

/** A token opens a new session on the account: one a minute, as the spec suggests and Synapse does. */
const GET_TOKEN_RATE: RateSpec = { perSecond: 1 / 60, burst: 1 };

loginToken.post('/login/get_token', requireAuth(), async (c) => {
  const r = c.get('requester');
  const req = await body(c, z.object({ auth: z.unknown().optional() }), { emptyAsObject: true });
  // The spec requires a fresh consent for every token: the UIA session is spent below, never reused.
  const uia = await requireUia(
    c.env,
    { operation: 'POST /login/get_token', flows: [['m.login.password']], userId: r.userId, serverName: c.get('config').serverName },
    req.auth,
  );
  // After UIA, as Synapse: a refused request can be repeated with the same completed session.
  await rateLimit(c, 'get_token', r.userId, GET_TOKEN_RATE);
  await finishUia(c.env, uia.sessionId);
  return c.json(await issueLoginToken(httpDb(c.env), r.userId));
});

/** POST /login with `m.login.token`: the token names its user, whose object spends it. */
export async function tokenLogin(
  c: Ctx,
  req: { token?: string; device_id?: string; initial_device_display_name?: string; refresh_token?: boolean },
): Promise<IssuedSession> {
  if (typeof req.token !== 'string') throw new MatrixError(400, ErrCode.BAD_JSON, 'Missing token');
  const localpart = tokenLocalpart('login', req.token);
  const userId = `@${localpart}:${c.get('config').serverName}`;
  if (localpart === undefined || checkUserId(userId) !== null) throw invalidLoginToken();
  return userObject(c.env, userId).loginWithToken(userId, {
    tokenHash: await hashToken(req.token),
    deviceId: req.device_id,
    initialDeviceDisplayName: req.initial_device_display_name,
    withRefresh: req.refresh_token ?? false,
    tokenLifetimeMs: c.get('config').accessTokenLifetimeMs,
  });
}
