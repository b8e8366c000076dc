// Requests to other servers (spec: server-server "Request Authentication"): every request is
// signed with this server's key in an X-Matrix Authorization header.
import type { Env } from '../../config';
import { config } from '../../config';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { signJson } from '../../matrix/signing';
import { formatXMatrix, requestJson } from '../../matrix/x-matrix';
import { parseResolveOverride, resolveServer, UnreachableServer, type Destination } from './discovery';
import { serverSigningKey } from './server-key';

const REQUEST_TIMEOUT_MS = 30_000;
const destinationCache = new Map<string, { d: Destination; until: number }>();
let overrideFor: { text: string | undefined; map: Map<string, string> | undefined } | undefined;

function override(env: Env) {
  const text = env.FEDERATION_RESOLVE;
  if (!overrideFor || overrideFor.text !== text) overrideFor = { text, map: parseResolveOverride(text) };
  return overrideFor.map;
}

/** Resolves server names to base URLs, caching answers for an hour. */
export function federationResolver(env: Env) {
  return async (server: string): Promise<Destination> => {
    const now = Date.now();
    const hit = destinationCache.get(server);
    if (hit && hit.until > now) return hit.d;
    const d = await resolveServer(server, override(env), now);
    destinationCache.set(server, { d, until: now + 3600_000 });
    return d;
  };
}

export function plainFetch(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

/** A remote server answered with an error (its Matrix error is kept). */
export class RemoteError extends Error {
  constructor(
    readonly status: number,
    readonly body: { errcode?: string; error?: string } | undefined,
  ) {
    super(`remote server answered ${status}: ${body?.errcode ?? ''} ${body?.error ?? ''}`);
  }
}

/**
 * A signed request to another server; resolves with the parsed JSON body. Network failures and
 * unknown servers become MatrixErrors a client can be shown (502 / 404).
 */
export async function federationRequest<T = Record<string, unknown>>(
  env: Env,
  destination: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const origin = config(env).serverName;
  const key = await serverSigningKey(env);
  const signed = await signJson(requestJson(method, path, origin, destination, body), origin, key);
  const sig = signed.signatures[origin][key.keyId];
  let base: Destination;
  try {
    base = await federationResolver(env)(destination);
  } catch (e) {
    if (e instanceof UnreachableServer) throw new MatrixError(404, ErrCode.NOT_FOUND, `Server ${destination} cannot be reached: ${e.message}`);
    throw e;
  }
  let res: Response;
  try {
    res = await plainFetch(`${base.baseUrl}${path}`, {
      method,
      headers: {
        authorization: formatXMatrix({ origin, destination, key: key.keyId, sig }),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    throw new RemoteError(502, { errcode: ErrCode.UNKNOWN, error: `Could not reach ${destination}: ${(e as Error).message}` });
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    throw new RemoteError(502, { errcode: ErrCode.UNKNOWN, error: `${destination} answered with something other than JSON` });
  }
  if (!res.ok) throw new RemoteError(res.status, parsed as { errcode?: string; error?: string });
  return parsed as T;
}
