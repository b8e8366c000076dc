// Typed configuration from the Worker's environment (wrangler.toml [vars], secrets, dev --var flags).
// Parsed once per environment object and validated: a misconfigured deployment fails loudly on its
// first request instead of misbehaving later.
import type { UserDO } from '../durable-objects/user';
import type { RateLimiterDO } from '../durable-objects/rate-limiter';
import type { RoomDO } from '../durable-objects/room';

export interface Env {
  USER: DurableObjectNamespace<UserDO>;
  ROOM: DurableObjectNamespace<RoomDO>;
  RATE_LIMITER: DurableObjectNamespace<RateLimiterDO>;
  MEDIA: R2Bucket;
  DATABASE_URL: string;
  NEON_WS_PROXY?: string;
  /** Synapse's signing key format: `ed25519 <version> <unpadded base64 seed>` (a secret in production). */
  SIGNING_KEY: string;
  SERVER_NAME: string;
  PUBLIC_BASEURL?: string;
  /** Delegated federation endpoint for /.well-known/matrix/server, e.g. `matrix.example.org:443`. */
  WELL_KNOWN_SERVER?: string;
  REGISTRATION?: string;
  GUEST_ACCESS?: string;
  RATE_LIMITS?: string;
  RATE_LIMIT_LOGIN_ADDRESS?: string;
  RATE_LIMIT_LOGIN_ACCOUNT?: string;
  RATE_LIMIT_LOGIN_FAILURES?: string;
  RATE_LIMIT_REGISTRATION?: string;
  ACCESS_TOKEN_LIFETIME_MS?: string;
  MAX_REQUEST_BYTES?: string;
}

export type RegistrationMode = 'open' | 'token' | 'closed';

/** A token bucket: `perSecond` refill, `burst` capacity. */
export interface RateSpec {
  perSecond: number;
  burst: number;
}

export interface Config {
  serverName: string;
  publicBaseUrl: string;
  wellKnownServer?: string;
  registration: RegistrationMode;
  guestAccess: boolean;
  rateLimits: {
    enabled: boolean;
    loginAddress: RateSpec;
    loginAccount: RateSpec;
    loginFailures: RateSpec;
    registration: RateSpec;
  };
  /** Lifetime of access tokens issued with a refresh token (clients that opt in to refresh). */
  accessTokenLifetimeMs: number;
  maxRequestBytes: number;
}

export class ConfigError extends Error {}

function choice<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new ConfigError(`${name} must be one of ${allowed.join(', ')}; got "${value}"`);
}

function flag(name: string, value: string | undefined, fallback: boolean): boolean {
  return choice(name, value, ['on', 'off', 'true', 'false'], fallback ? 'on' : 'off') === 'on' || value === 'true';
}

function positiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new ConfigError(`${name} must be a positive integer; got "${value}"`);
  return n;
}

/** `"<per second>/<burst>"`, e.g. `0.17/3` as in Synapse's rc_login. */
function rate(name: string, value: string | undefined, fallback: RateSpec): RateSpec {
  if (value === undefined || value === '') return fallback;
  const m = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(value);
  if (!m || Number(m[1]) <= 0 || Number(m[2]) < 1) throw new ConfigError(`${name} must look like "0.17/3" (per second / burst); got "${value}"`);
  return { perSecond: Number(m[1]), burst: Number(m[2]) };
}

// Server names are host[:port]; validated fully by the protocol core, this is the early sanity check.
const SERVER_NAME = /^(\[[0-9a-fA-F:.]+\]|[0-9A-Za-z.-]{1,255})(:\d{1,5})?$/;

const cache = new WeakMap<object, Config>();

export function config(env: Env): Config {
  let c = cache.get(env);
  if (c) return c;
  const serverName = env.SERVER_NAME;
  if (!serverName || !SERVER_NAME.test(serverName)) throw new ConfigError(`SERVER_NAME must be a Matrix server name; got "${serverName ?? ''}"`);
  const local = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(serverName);
  const publicBaseUrl = (env.PUBLIC_BASEURL || `${local ? 'http' : 'https'}://${serverName}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(publicBaseUrl)) throw new ConfigError(`PUBLIC_BASEURL must be an http(s) URL; got "${publicBaseUrl}"`);
  c = {
    serverName,
    publicBaseUrl,
    wellKnownServer: env.WELL_KNOWN_SERVER || undefined,
    registration: choice('REGISTRATION', env.REGISTRATION, ['open', 'token', 'closed'] as const, 'closed'),
    guestAccess: flag('GUEST_ACCESS', env.GUEST_ACCESS, false),
    rateLimits: {
      enabled: flag('RATE_LIMITS', env.RATE_LIMITS, true),
      // Defaults follow Synapse's rc_login / rc_registration.
      loginAddress: rate('RATE_LIMIT_LOGIN_ADDRESS', env.RATE_LIMIT_LOGIN_ADDRESS, { perSecond: 0.17, burst: 3 }),
      loginAccount: rate('RATE_LIMIT_LOGIN_ACCOUNT', env.RATE_LIMIT_LOGIN_ACCOUNT, { perSecond: 0.17, burst: 3 }),
      loginFailures: rate('RATE_LIMIT_LOGIN_FAILURES', env.RATE_LIMIT_LOGIN_FAILURES, { perSecond: 0.17, burst: 3 }),
      registration: rate('RATE_LIMIT_REGISTRATION', env.RATE_LIMIT_REGISTRATION, { perSecond: 0.17, burst: 3 }),
    },
    accessTokenLifetimeMs: positiveInt('ACCESS_TOKEN_LIFETIME_MS', env.ACCESS_TOKEN_LIFETIME_MS, 5 * 60_000),
    maxRequestBytes: positiveInt('MAX_REQUEST_BYTES', env.MAX_REQUEST_BYTES, 1024 * 1024),
  };
  cache.set(env, c);
  return c;
}
