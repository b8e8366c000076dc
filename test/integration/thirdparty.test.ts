// Third-party lookups on a server without application services: no protocol is known, reverse
// lookups find nothing, and every answer is well-formed.
import { describe, expect, it } from 'vitest';
import { call, registerUser } from './helpers/client';
import { expectSpec } from './helpers/spec';

const v3 = '/_matrix/client/v3';

describe('third-party lookups', () => {
  it('lists no protocols', async () => {
    const user = await registerUser();
    const r = await call('GET', `${v3}/thirdparty/protocols`, { token: user.token });
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/thirdparty/protocols', 200, r.body);
    expect(r.body).toEqual({});
  });

  it('answers 404 M_NOT_FOUND for any protocol', async () => {
    const user = await registerUser();
    for (const [op, path] of [
      ['GET /_matrix/client/v3/thirdparty/protocol/{protocol}', `${v3}/thirdparty/protocol/irc`],
      ['GET /_matrix/client/v3/thirdparty/location/{protocol}', `${v3}/thirdparty/location/irc?network=libera&channel=%23matrix`],
      ['GET /_matrix/client/v3/thirdparty/user/{protocol}', `${v3}/thirdparty/user/gitter?username=alice`],
    ]) {
      const r = await call('GET', path, { token: user.token });
      expect(r.status, path).toBe(404);
      expectSpec(op, 404, r.body);
      expect(r.body.errcode, path).toBe('M_NOT_FOUND');
    }
  });

  it('finds no third-party locations or users for Matrix ids', async () => {
    const user = await registerUser();
    const loc = await call('GET', `${v3}/thirdparty/location?alias=${encodeURIComponent('#bridged:test.local')}`, { token: user.token });
    expect(loc.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/thirdparty/location', 200, loc.body);
    expect(loc.body).toEqual([]);
    const usr = await call('GET', `${v3}/thirdparty/user?userid=${encodeURIComponent(user.userId)}`, { token: user.token });
    expect(usr.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/thirdparty/user', 200, usr.body);
    expect(usr.body).toEqual([]);
  });

  it('refuses missing or malformed ids, and requests without a token', async () => {
    const user = await registerUser();
    const cases: [string, number, string][] = [
      [`${v3}/thirdparty/location`, 400, 'M_MISSING_PARAM'],
      [`${v3}/thirdparty/location?alias=nohash`, 400, 'M_INVALID_PARAM'],
      [`${v3}/thirdparty/user`, 400, 'M_MISSING_PARAM'],
      [`${v3}/thirdparty/user?userid=${encodeURIComponent('@nocolon')}`, 400, 'M_INVALID_PARAM'],
    ];
    for (const [path, status, errcode] of cases) {
      const r = await call('GET', path, { token: user.token });
      expect(r.status, path).toBe(status);
      expect(r.body.errcode, path).toBe(errcode);
    }
    for (const path of [`${v3}/thirdparty/protocols`, `${v3}/thirdparty/protocol/irc`, `${v3}/thirdparty/user?userid=${encodeURIComponent(user.userId)}`]) {
      const r = await call('GET', path);
      expect(r.status, path).toBe(401);
      expect(r.body.errcode, path).toBe('M_MISSING_TOKEN');
    }
  });

  it('serves guests', async () => {
    const vars = { GUEST_ACCESS: 'on' };
    const guest = await call('POST', `${v3}/register?kind=guest`, { body: {}, vars });
    const r = await call('GET', `${v3}/thirdparty/protocols`, { token: guest.body.access_token, vars });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({});
  });
});
