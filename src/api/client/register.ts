// Account registration (spec: Client-Server "Account registration").
import { Hono } from 'hono';
import { z } from 'zod';
import { httpDb } from '../../db/client';
import { nextGeneratedLocalpartNumber, userExists } from '../../db/queries/accounts';
import { registrationTokens } from '../../db/schema';
import { and, eq } from 'drizzle-orm';
import { clientIp, userObject } from '../../http/auth';
import { body, validate } from '../../http/body';
import type { AppEnv, Ctx } from '../../http/context';
import { ErrCode, MatrixError, forbidden } from '../../http/errors';
import { rateLimit } from '../../http/rate-limit';
import { hashPassword } from '../../services/auth/passwords';
import { consumeRegistrationToken, finishUia, requireUia, usableToken, type Stage } from '../../services/auth/uia';
import { checkNewPassword, checkLocalpart } from '../../services/auth/validation';

export const register = new Hono<AppEnv>();

const registerBody = z.object({
  auth: z.unknown().optional(),
  username: z.string().optional(),
  password: z.string().optional(),
  device_id: z.string().min(1).max(255).optional(),
  initial_device_display_name: z.string().max(255).optional(),
  inhibit_login: z.boolean().optional(),
  refresh_token: z.boolean().optional(),
});

function flows(c: Ctx): Stage[][] {
  return c.get('config').registration === 'token' ? [['m.login.registration_token']] : [['m.login.dummy']];
}

register.post('/register', async (c) => {
  const cfg = c.get('config');
  const kind = c.req.query('kind') ?? 'user';
  if (kind !== 'user' && kind !== 'guest') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'kind must be "user" or "guest"');
  const req = await body(c, registerBody);
  await rateLimit(c, 'register', clientIp(c.req.raw) ?? 'unknown', cfg.rateLimits.registration);

  if (kind === 'guest') {
    if (!cfg.guestAccess) throw new MatrixError(403, ErrCode.GUEST_ACCESS_FORBIDDEN, 'Guest access is disabled');
    const userId = `@${await nextGeneratedLocalpartNumber(httpDb(c.env))}:${cfg.serverName}`;
    // Guests get a fresh device; a client-chosen device id is ignored (spec: Guest access).
    return c.json(await userObject(c.env, userId).register(userId, { passwordHash: null, isGuest: true, inhibitLogin: false, withRefresh: req.refresh_token ?? false, tokenLifetimeMs: cfg.accessTokenLifetimeMs, initialDeviceDisplayName: req.initial_device_display_name }));
  }

  if (cfg.registration === 'closed') throw forbidden('Registration has been disabled');
  // The username is checked before authentication so that a client can correct it early (as Synapse does).
  let userId: string | undefined;
  if (req.username !== undefined) {
    userId = `@${checkLocalpart(req.username, cfg.serverName)}:${cfg.serverName}`;
    if (await userExists(httpDb(c.env), userId)) throw new MatrixError(400, ErrCode.USER_IN_USE, 'User ID already taken.');
  }
  if (req.password === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'Missing password');
  checkNewPassword(req.password);

  const uia = await requireUia(c.env, { operation: 'POST /register', flows: flows(c), serverName: cfg.serverName }, req.auth);

  userId ??= `@${await nextGeneratedLocalpartNumber(httpDb(c.env))}:${cfg.serverName}`;
  const result = await userObject(c.env, userId).register(userId, {
    passwordHash: await hashPassword(req.password, cfg.passwordIterations),
    isGuest: false,
    deviceId: req.device_id,
    initialDeviceDisplayName: req.initial_device_display_name,
    inhibitLogin: req.inhibit_login ?? false,
    withRefresh: req.refresh_token ?? false,
    tokenLifetimeMs: cfg.accessTokenLifetimeMs,
  });
  const token = uia.results.registrationToken;
  if (typeof token === 'string') await consumeRegistrationToken(c.env, token);
  await finishUia(c.env, uia.sessionId);
  return c.json(result);
});

register.get('/register/available', async (c) => {
  const cfg = c.get('config');
  await rateLimit(c, 'register-available', clientIp(c.req.raw) ?? 'unknown', cfg.rateLimits.registration);
  const username = c.req.query('username');
  if (username === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'Missing username');
  const userId = `@${checkLocalpart(username, cfg.serverName)}:${cfg.serverName}`;
  if (await userExists(httpDb(c.env), userId)) throw new MatrixError(400, ErrCode.USER_IN_USE, 'User ID already taken.');
  return c.json({ available: true });
});

const tokenQuery = z.string().regex(/^[A-Za-z0-9._~-]{1,64}$/, 'must be 1 to 64 characters of [A-Za-z0-9._~-]');

export const registerV1 = new Hono<AppEnv>();
registerV1.get('/register/m.login.registration_token/validity', async (c) => {
  const cfg = c.get('config');
  await rateLimit(c, 'register-token-validity', clientIp(c.req.raw) ?? 'unknown', cfg.rateLimits.registration);
  if (cfg.registration === 'closed') throw forbidden('Registration has been disabled');
  const raw = c.req.query('token');
  if (raw === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, 'Missing token');
  const token = validate(tokenQuery, raw, ErrCode.INVALID_PARAM);
  const rows = await httpDb(c.env)
    .select({ token: registrationTokens.token })
    .from(registrationTokens)
    .where(and(eq(registrationTokens.token, token), usableToken(Date.now())));
  return c.json({ valid: rows.length === 1 });
});
