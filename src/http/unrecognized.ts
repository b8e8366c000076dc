// Requests no route answers: 405 M_UNRECOGNIZED when the path exists with other methods, otherwise
// 404 M_UNRECOGNIZED, as the spec requires for unknown endpoints.
import type { Hono } from 'hono';
import { ErrCode, MatrixError, errorResponse } from './errors';
import type { AppEnv } from './context';

function patternToRegExp(path: string): RegExp {
  const source = path
    .split('/')
    .map((seg) => {
      if (seg === '*') return '.*';
      const param = /^:[A-Za-z0-9_]+(\{(.+)\})?(\?)?$/.exec(seg);
      if (param) return `(?:${param[2] ?? '[^/]+'})${param[3] ? '?' : ''}`;
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${source}/?$`);
}

export function unrecognizedHandler(app: Hono<AppEnv>) {
  let compiled: { method: string; re: RegExp }[] | undefined;
  return (c: { req: { method: string; path: string } }) => {
    compiled ??= app.routes.filter((r) => r.method !== 'ALL').map((r) => ({ method: r.method, re: patternToRegExp(r.path) }));
    const known = compiled.some((r) => r.re.test(c.req.path));
    return known
      ? errorResponse(new MatrixError(405, ErrCode.UNRECOGNIZED, 'Method not allowed for this endpoint'))
      : errorResponse(new MatrixError(404, ErrCode.UNRECOGNIZED, 'Unrecognized request'));
  };
}
