import { describe, expect, it } from 'vitest';
import { formatXMatrix, parseXMatrix, requestJson } from '../../../src/matrix/x-matrix';

describe('X-Matrix authorization header', () => {
  it('round-trips what this server sends', () => {
    const auth = { origin: 'a.example', destination: 'b.example:8448', key: 'ed25519:k1', sig: 'abc+/def' };
    expect(parseXMatrix(formatXMatrix(auth))).toEqual(auth);
  });

  it('accepts the syntax RFC 9110 allows: case-insensitive names, tokens, spaces, escapes, unquoted colons', () => {
    expect(parseXMatrix('x-matrix   ORIGIN=a.example , Key = "ed25519:k1",sig="x\\"y" ,destination=b.example:8448')).toEqual({
      origin: 'a.example',
      key: 'ed25519:k1',
      sig: 'x"y',
      destination: 'b.example:8448',
    });
    expect(parseXMatrix('X-Matrix origin=old.example,key="ed25519:1",sig="s",unknown="ignored"')).toEqual({ origin: 'old.example', key: 'ed25519:1', sig: 's' });
  });

  it('refuses other schemes and headers missing origin, key or sig', () => {
    for (const h of ['Bearer abc', 'X-Matrix', 'X-Matrix origin="a",key="k"', 'X-Matrix origin="a",sig="s"', 'X-Matrix key="k",sig="s"', 'X-Matrix origin="a" key="k" sig="s"', 'X-Matrix origin="unterminated,key="k",sig="s"']) {
      expect(parseXMatrix(h), h).toBeUndefined();
    }
  });

  it('signs method, uri, origin, destination and content only when there is a body', () => {
    expect(requestJson('GET', '/_matrix/federation/v1/version', 'a', 'b')).toEqual({ method: 'GET', uri: '/_matrix/federation/v1/version', origin: 'a', destination: 'b' });
    expect(requestJson('PUT', '/x?y=1', 'a', 'b', { pdus: [] })).toEqual({ method: 'PUT', uri: '/x?y=1', origin: 'a', destination: 'b', content: { pdus: [] } });
  });
});
