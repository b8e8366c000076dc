// Typed configuration from the Worker's environment (wrangler.toml [vars], secrets, dev --var flags).
// Parsed once per environment object and validated: a misconfigured deployment fails loudly on its
// first request instead of misbehaving later.
import type { UserDO } from '../durable-objects/user';
import type { RateLimiterDO } from '../durable-objects/rate-limiter';
import type { RoomDO } from '../durable-objects/room';
import type { DestinationDO } from '../durable-objects/destination';

export interface Env {
  USER: DurableObjectNamespace<UserDO>;
  ROOM: DurableObjectNamespace<RoomDO>;
  DESTINATION: DurableObjectNamespace<DestinationDO>;
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
  /** Per-user limits on sending events, on joins, and on invites received (Synapse's rc_message, rc_joins.local, rc_invites.per_user). */
  RATE_LIMIT_MESSAGES?: string;
  RATE_LIMIT_JOINS?: string;
  RATE_LIMIT_INVITES?: string;
  /** on: the user directory finds every local user, not only those who share a room with the searcher or sit in a public room. */
  USER_DIRECTORY_SEARCH_ALL?: string;
  /** Comma-separated `turn:`/`turns:` URIs for /voip/turnServer; TURN is off unless both these and the secret are set. */
  TURN_URIS?: string;
  /** The TURN server's shared secret for time-limited credentials (coturn's static-auth-secret); a secret in production. */
  TURN_SHARED_SECRET?: string;
  /** Lifetime of TURN credentials, in seconds. */
  TURN_TTL?: string;
  TURN_ALLOW_GUESTS?: string;
  ACCESS_TOKEN_LIFETIME_MS?: string;
  MAX_REQUEST_BYTES?: string;
  /** PBKDF2 iterations for new password hashes (default and maximum in Workers: 100000). */
  PASSWORD_HASH_ITERATIONS?: string;
  /** Development only: `serverName=baseUrl` pairs that replace server discovery (and restrict it to them). */
  FEDERATION_RESOLVE?: string;
  /** Retired signing keys, still published for events they signed: `ed25519:<version>=<base64 public key>@<expired_ts ms>`, comma-separated. */
  OLD_VERIFY_KEYS?: string;
  /** Largest upload in bytes (also what /media/config reports). */
  MEDIA_MAX_UPLOAD_BYTES?: string;
  /** Bytes one user may store in total, or `unlimited`. */
  MEDIA_USER_QUOTA_BYTES?: string;
  RATE_LIMIT_MEDIA_UPLOAD?: string;
  URL_PREVIEWS?: string;
  /** on: serve media on the deprecated unauthenticated /_matrix/media/v3 download and thumbnail paths. */
  LEGACY_MEDIA?: string;
  /** on: a room a local user leaves (or is kicked or banned from) is forgotten at once (m.forget_forced_upon_leave). */
  FORGET_ROOMS_ON_LEAVE?: string;
  /** Rooms per batch of GET /mutual_rooms. */
  MUTUAL_ROOMS_BATCH_SIZE?: string;
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
    messages: RateSpec;
    joins: RateSpec;
    invites: RateSpec;
  };
  /** The user directory searches all local users, whatever rooms they are in. */
  userDirectorySearchAll: boolean;
  /** Rooms are forgotten when a local user leaves them (as Synapse's forget_rooms_on_leave). */
  forgetRoomsOnLeave: boolean;
  mutualRoomsBatchSize: number;
  /** Null when no TURN server is configured. */
  turn: TurnConfig | null;
  /** Lifetime of access tokens issued with a refresh token (clients that opt in to refresh). */
  accessTokenLifetimeMs: number;
  maxRequestBytes: number;
  passwordIterations: number;
  /** Federation bodies (transactions of up to 50 PDUs of 64 KiB and 100 EDUs) are larger. */
  maxFederationBytes: number;
  /** Our retired signing keys (spec: old_verify_keys), valid for what they signed before expiredTs. */
  oldVerifyKeys: { keyId: string; key: string; expiredTs: number }[];
  media: {
    maxUploadBytes: number;
    /** Null when unlimited. */
    userQuotaBytes: number | null;
    uploadRate: RateSpec;
    urlPreviews: boolean;
    legacyUnauthenticated: boolean;
  };
}

export interface TurnConfig {
  uris: string[];
  sharedSecret: string;
  ttlSeconds: number;
  allowGuests: boolean;
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

/** A positive byte count, or `unlimited` (null). */
function limitOrUnlimited(name: string, value: string | undefined, fallback: number): number | null {
  if (value === 'unlimited') return null;
  if (value !== undefined && value !== '' && !/^[1-9]\d*$/.test(value)) throw new ConfigError(`${name} must be a positive integer or "unlimited"; got "${value}"`);
  return positiveInt(name, value, fallback);
}

/** `"<per second>/<burst>"`, e.g. `0.17/3` as in Synapse's rc_login. */
function rate(name: string, value: string | undefined, fallback: RateSpec): RateSpec {
  if (value === undefined || value === '') return fallback;
  const m = /^(\d+(?:\.\d+)?)\/(\d+)$/.exec(value);
  if (!m || Number(m[1]) <= 0 || Number(m[2]) < 1) throw new ConfigError(`${name} must look like "0.17/3" (per second / burst); got "${value}"`);
  return { perSecond: Number(m[1]), burst: Number(m[2]) };
}

function turn(env: Env): TurnConfig | null {
  const uris = (env.TURN_URIS ?? '').split(',').map((u) => u.trim()).filter((u) => u !== '');
  const sharedSecret = env.TURN_SHARED_SECRET ?? '';
  if (uris.length === 0 && sharedSecret === '') return null;
  if (uris.length === 0 || sharedSecret === '') throw new ConfigError('TURN_URIS and TURN_SHARED_SECRET must be set together');
  // The spec's pattern for the URIs clients receive.
  const bad = uris.find((u) => !/^turns?:\S+$/.test(u));
  if (bad !== undefined) throw new ConfigError(`TURN_URIS must be turn: or turns: URIs; got "${bad}"`);
  return {
    uris,
    sharedSecret,
    ttlSeconds: positiveInt('TURN_TTL', env.TURN_TTL, 86_400),
    allowGuests: flag('TURN_ALLOW_GUESTS', env.TURN_ALLOW_GUESTS, true),
  };
}

function oldVerifyKeys(value: string | undefined): Config['oldVerifyKeys'] {
  if (!value) return [];
  return value.split(',').map((entry) => {
    const m = /^\s*(ed25519:[A-Za-z0-9_]+)=([A-Za-z0-9+/]{43})@(\d{1,15})\s*$/.exec(entry);
    if (!m) throw new ConfigError(`OLD_VERIFY_KEYS entries look like ed25519:<version>=<unpadded base64 public key>@<expired_ts>; got "${entry}"`);
    return { keyId: m[1], key: m[2], expiredTs: Number(m[3]) };
  });
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
      // Synapse's rc_message, rc_joins.local and rc_invites.per_user.
      messages: rate('RATE_LIMIT_MESSAGES', env.RATE_LIMIT_MESSAGES, { perSecond: 0.2, burst: 10 }),
      joins: rate('RATE_LIMIT_JOINS', env.RATE_LIMIT_JOINS, { perSecond: 0.1, burst: 10 }),
      invites: rate('RATE_LIMIT_INVITES', env.RATE_LIMIT_INVITES, { perSecond: 0.003, burst: 5 }),
    },
    userDirectorySearchAll: flag('USER_DIRECTORY_SEARCH_ALL', env.USER_DIRECTORY_SEARCH_ALL, false),
    forgetRoomsOnLeave: flag('FORGET_ROOMS_ON_LEAVE', env.FORGET_ROOMS_ON_LEAVE, false),
    mutualRoomsBatchSize: positiveInt('MUTUAL_ROOMS_BATCH_SIZE', env.MUTUAL_ROOMS_BATCH_SIZE, 100),
    turn: turn(env),
    accessTokenLifetimeMs: positiveInt('ACCESS_TOKEN_LIFETIME_MS', env.ACCESS_TOKEN_LIFETIME_MS, 5 * 60_000),
    maxRequestBytes: positiveInt('MAX_REQUEST_BYTES', env.MAX_REQUEST_BYTES, 1024 * 1024),
    passwordIterations: Math.min(100_000, positiveInt('PASSWORD_HASH_ITERATIONS', env.PASSWORD_HASH_ITERATIONS, 100_000)),
    maxFederationBytes: 8 * 1024 * 1024,
    oldVerifyKeys: oldVerifyKeys(env.OLD_VERIFY_KEYS),
    media: {
      // 50 MiB as in Synapse; R2 and Workers take up to 100 MB in one request.
      maxUploadBytes: positiveInt('MEDIA_MAX_UPLOAD_BYTES', env.MEDIA_MAX_UPLOAD_BYTES, 50 * 1024 * 1024),
      userQuotaBytes: limitOrUnlimited('MEDIA_USER_QUOTA_BYTES', env.MEDIA_USER_QUOTA_BYTES, 1024 * 1024 * 1024),
      // Uploads and /create share one bucket per user: a batch of photos (each with its thumbnail) at once, then one a second.
      uploadRate: rate('RATE_LIMIT_MEDIA_UPLOAD', env.RATE_LIMIT_MEDIA_UPLOAD, { perSecond: 1, burst: 50 }),
      // Safe to have on: private, loopback and link-local addresses are always refused.
      urlPreviews: flag('URL_PREVIEWS', env.URL_PREVIEWS, true),
      // Off: media uploaded now is refused on the deprecated unauthenticated paths (the spec's 1.11 freeze).
      legacyUnauthenticated: flag('LEGACY_MEDIA', env.LEGACY_MEDIA, false),
    },
  };
  cache.set(env, c);
  return c;
}
