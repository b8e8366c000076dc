// Every failure leaves as a Matrix standard error response ({errcode, error}); a client mistake is
// never a 500, and an unexpected error is logged and reported as M_UNKNOWN without internals.
import type { Context } from 'hono';
import { ConfigError } from '../config';
import { ErrCode, MatrixError } from '../matrix/errors';

export { ErrCode, MatrixError };

export function errorResponse(err: MatrixError, headers?: HeadersInit): Response {
  const res = new Response(JSON.stringify(err.toJSON()), {
    status: err.status,
    headers: { 'content-type': 'application/json', ...headers },
  });
  if (err.status === 429 && typeof err.extra?.retry_after_ms === 'number') {
    res.headers.set('retry-after', String(Math.ceil(err.extra.retry_after_ms / 1000)));
  }
  return res;
}

export function onError(err: unknown, c: Context): Response {
  return failureResponse(err, c.req.raw);
}

/** The response to a request that failed with `err` (a Matrix error as it is, anything else as a logged 500). */
export function failureResponse(err: unknown, request: Request, headers?: HeadersInit): Response {
  if (err instanceof MatrixError) return errorResponse(err, headers);
  if (err instanceof ConfigError) {
    console.error(`[config] ${err.message}`);
    return errorResponse(new MatrixError(500, ErrCode.UNKNOWN, 'The server is misconfigured'), headers);
  }
  console.error(`[error] ${request.method} ${new URL(request.url).pathname}:`, err);
  return errorResponse(new MatrixError(500, ErrCode.UNKNOWN, 'Internal server error'), headers);
}

export const unrecognized = () => new MatrixError(404, ErrCode.UNRECOGNIZED, 'Unrecognized request');
export const notFound = (what: string) => new MatrixError(404, ErrCode.NOT_FOUND, what);
export const forbidden = (why: string) => new MatrixError(403, ErrCode.FORBIDDEN, why);
export const badJson = (why: string) => new MatrixError(400, ErrCode.BAD_JSON, why);
export const invalidParam = (why: string) => new MatrixError(400, ErrCode.INVALID_PARAM, why);
export const missingParam = (why: string) => new MatrixError(400, ErrCode.MISSING_PARAM, why);
export const limitExceeded = (retryAfterMs: number) =>
  new MatrixError(429, ErrCode.LIMIT_EXCEEDED, 'Too many requests', { retry_after_ms: retryAfterMs });
