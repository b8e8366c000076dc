// Third-party lookups (spec: client-server "Third-party Networks"). Protocols are provided by
// application services, and lookups are answered by them; this server has none registered yet, so
// it knows no protocol and no mapping: protocol requests are unknown (404), reverse lookups empty.
import { Hono } from 'hono';
import { requireAuth } from '../../http/auth';
import type { AppEnv, Ctx } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { checkRoomAlias, checkUserId } from '../../matrix/ids';

export const thirdParty = new Hono<AppEnv>();

const auth = requireAuth({ allowGuests: true });

const unknownProtocol = (c: Ctx) => {
  throw new MatrixError(404, ErrCode.NOT_FOUND, `Unknown protocol: ${c.req.param('protocol')}`);
};

/** A required query parameter, checked with one of the identifier grammars of src/matrix/ids.ts. */
function queryParam(c: Ctx, name: string, check: (v: string) => string | null): string {
  const value = c.req.query(name);
  if (value === undefined) throw new MatrixError(400, ErrCode.MISSING_PARAM, `Missing query parameter '${name}'`);
  const problem = check(value);
  if (problem !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid '${name}': ${problem}`);
  return value;
}

thirdParty.get('/thirdparty/protocols', auth, (c) => c.json({}));
thirdParty.get('/thirdparty/protocol/:protocol', auth, unknownProtocol);
thirdParty.get('/thirdparty/location/:protocol', auth, unknownProtocol);
thirdParty.get('/thirdparty/user/:protocol', auth, unknownProtocol);

thirdParty.get('/thirdparty/location', auth, (c) => {
  queryParam(c, 'alias', checkRoomAlias);
  return c.json([]);
});

thirdParty.get('/thirdparty/user', auth, (c) => {
  queryParam(c, 'userid', (v) => checkUserId(v));
  return c.json([]);
});
