// Federation requests made on behalf of a client: the remote server's answer, its Matrix error
// when it is one the client can act on (400, 403, 404), and 502 for everything else (unreachable,
// timed out, an error of the remote itself, or an authentication problem between the servers,
// which must not look like the client's own 401).
import type { Env } from '../../config';
import { ErrCode, MatrixError } from '../../matrix/errors';
import { federationRequest, RemoteError } from './client';

const PASSED_THROUGH = new Set([400, 403, 404]);

/** Why a server could not answer, as a client sees it. */
export function asClientError(server: string, e: unknown): MatrixError {
  if (e instanceof RemoteError && PASSED_THROUGH.has(e.status) && typeof e.body?.errcode === 'string') {
    return new MatrixError(e.status, e.body.errcode, typeof e.body.error === 'string' ? e.body.error : `${server} refused the request`);
  }
  if (e instanceof TimedOut) return new MatrixError(504, ErrCode.UNKNOWN, `${server} did not answer in time`);
  const why = e instanceof RemoteError ? `it answered ${e.status}` : e instanceof Error ? e.message : String(e);
  return new MatrixError(502, ErrCode.UNKNOWN, `Could not get an answer from ${server}: ${why}`);
}

export class TimedOut extends Error {}

/** Rejects with TimedOut after `ms` (the request itself is left to finish or fail on its own). */
export function withTimeout<T>(promise: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => timer !== undefined && clearTimeout(timer));
}

/** A signed request to `server` whose failure is a MatrixError fit for the client. */
export async function askServer<T = Record<string, unknown>>(env: Env, server: string, method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T> {
  try {
    return await withTimeout(federationRequest<T>(env, server, method, path, body), timeoutMs);
  } catch (e) {
    throw asClientError(server, e);
  }
}
