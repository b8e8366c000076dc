// Login, token refresh (spec: Client-Server "Login", "Refreshing access tokens").
import { Hono } from 'hono';
import { z } from 'zod';
import type { Config } from '../../config';
import type { IssuedSession } from '../../services/account/sessions';
import { clientIp, userObject } from '../../http/auth';
import { body } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { rateLimit } from '../../http/rate-limit';
import { hashToken, tokenLocalpart } from '../../services/auth/tokens';
import { forgetUserSessions } from '../../http/session-cache';
import { tokenLogin } from './login-token';

export const login = new Hono<AppEnv>();

login.get('/login', (c) => c.json({ flows: [{ type: 'm.login.password' }, { type: 'm.login.token', get_login_token: true }] }));

const identifier = z.object({ type: z.string() }).passthrough();
const loginBody = z.object({
  type: z.string(),
  identifier: identifier.optional(),
  user: z.string().optional(),
  medium: z.string().optional(),
  address: z.string().optional(),
  password: z.string().optional(),
  token: z.string().optional(),
  device_id: z.string().min(1).max(255).optional(),
  initial_device_display_name: z.string().max(255).optional(),
  refresh_token: z.boolean().optional(),
});

const invalidLogin = () => new MatrixError(403, ErrCode.FORBIDDEN, 'Invalid username or password');

/** The full user id a login names: `m.id.user` (localpart or full id) or the legacy `user` field. */
function loginUserId(req: z.infer<typeof loginBody>, serverName: string): string {
  let user: unknown;
  if (req.identifier) {
    if (req.identifier.type !== 'm.id.user') throw invalidLogin(); // no third-party ids on this server
    user = req.identifier.user;
  } else {
    user = req.user;
  }
  if (typeof user !== 'string' || user.length === 0) throw new MatrixError(400, ErrCode.BAD_JSON, 'Missing user identifier');
  // Login is case-insensitive on the localpart for ids typed by people (Synapse does the same).
  if (user.startsWith('@')) {
    const colon = user.indexOf(':');
    if (colon < 0 || user.slice(colon + 1) !== serverName) throw invalidLogin();
    return `@${user.slice(1, colon).toLowerCase()}:${serverName}`;
  }
  return `@${user.toLowerCase()}:${serverName}`;
}

login.post('/login', async (c) => {
  const cfg = c.get('config');
  const req = await body(c, loginBody);
  if (req.type === 'm.login.token') {
    await rateLimit(c, 'login', clientIp(c.req.raw) ?? 'unknown', cfg.rateLimits.loginAddress);
    return c.json(loggedIn(cfg, await tokenLogin(c, req)));
  }
  if (req.type !== 'm.login.password') throw new MatrixError(400, ErrCode.UNKNOWN, `Unknown login type ${req.type}`);
  if (typeof req.password !== 'string') throw new MatrixError(400, ErrCode.BAD_JSON, 'Missing password');
  await rateLimit(c, 'login', clientIp(c.req.raw) ?? 'unknown', cfg.rateLimits.loginAddress);
  const userId = loginUserId(req, cfg.serverName);
  const session = await userObject(c.env, userId).login(userId, {
    password: req.password,
    deviceId: req.device_id,
    initialDeviceDisplayName: req.initial_device_display_name,
    withRefresh: req.refresh_token ?? false,
    tokenLifetimeMs: cfg.accessTokenLifetimeMs,
  }, cfg.rateLimits.enabled ? { attempts: cfg.rateLimits.loginAccount, failures: cfg.rateLimits.loginFailures } : null);
  return c.json(loggedIn(cfg, session));
});

const loggedIn = (cfg: Config, session: IssuedSession) => ({
  ...session,
  home_server: cfg.serverName,
  well_known: { 'm.homeserver': { base_url: cfg.publicBaseUrl } },
});

login.post('/refresh', async (c) => {
  const { refresh_token } = await body(c, z.object({ refresh_token: z.string() }));
  const localpart = tokenLocalpart('refresh', refresh_token);
  if (localpart === undefined) throw new MatrixError(401, ErrCode.UNKNOWN_TOKEN, 'Unrecognised refresh token', { soft_logout: false });
  const cfg = c.get('config');
  const userId = `@${localpart}:${cfg.serverName}`;
  const { access_token, refresh_token: next, expires_in_ms } = await userObject(c.env, userId).refresh(userId, await hashToken(refresh_token), cfg.accessTokenLifetimeMs);
  forgetUserSessions(userId);
  return c.json({ access_token, refresh_token: next, expires_in_ms });
});
