import { describe, expect, it } from 'vitest';
import {
  checkDeviceId,
  checkEventId,
  checkRoomAlias,
  checkRoomId,
  checkServerName,
  checkUserId,
  generateDeviceId,
  InvalidIdentifierError,
  isCompliantUserId,
  isIPv6,
  isValidDeviceId,
  isValidEventId,
  isValidNamespacedId,
  isValidOpaqueId,
  isValidRoomId,
  isValidServerName,
  isValidUserId,
  parseRoomAlias,
  parseRoomId,
  parseServerName,
  parseUserId,
} from '../../../src/matrix/ids';
import { roomVersion } from '../../../src/matrix/room-versions';
import { vectorsOfKind } from './spec-vectors';

describe('server names', () => {
  for (const v of vectorsOfKind('server_name_valid')) {
    it(`spec example ${v.input} is valid`, () => {
      expect(isValidServerName(v.input)).toBe(v.expected);
    });
  }

  it.each([
    ['', 'empty hostname'],
    [':8448', 'empty hostname'],
    ['example.com:', 'port must be 1 to 5 digits'],
    ['example.com:123456', 'port must be 1 to 5 digits'],
    ['example.com:80a', 'port must be 1 to 5 digits'],
    ['exa_mple.com', 'hostname has characters'],
    ['exämple.com', 'hostname has characters'],
    ['[1234:5678::abcd', 'missing "]"'],
    ['[1234::5678::abcd]', 'invalid IPv6'],
    ['[12345::1]', 'invalid IPv6'],
    ['[::1]x', 'unexpected characters'],
    ['a'.repeat(256), 'hostname has characters outside [A-Za-z0-9.-] or is too long'],
  ])('%j is rejected: %s', (name, reason) => {
    expect(checkServerName(name)).toContain(reason);
  });

  it.each(['[::1]', '[::]', '[1:2:3:4:5:6:7:8]', '[::ffff:1.2.3.4]:443', '[fe80::1:2]', 'localhost', 'localhost:8787', '256.1.1.1'])(
    '%s is valid',
    (name) => {
      // 256.1.1.1 is not an IPv4 literal but matches the dns-name grammar.
      expect(isValidServerName(name)).toBe(true);
    },
  );

  it('IPv6 validation follows RFC 3513 text forms', () => {
    expect(isIPv6('1:2:3:4:5:6:7:8')).toBe(true);
    expect(isIPv6('1:2:3:4:5:6:7')).toBe(false);
    expect(isIPv6('1:2:3:4:5:6:7:8:9')).toBe(false);
    expect(isIPv6('1::2::3')).toBe(false);
    expect(isIPv6('::1.2.3.4')).toBe(true);
    expect(isIPv6('::1.2.3.256')).toBe(false);
    expect(isIPv6('1:2:3:4:5:6:1.2.3.4')).toBe(true);
  });

  it('parses host and port', () => {
    expect(parseServerName('matrix.org:8448')).toEqual({ host: 'matrix.org', port: 8448 });
    expect(parseServerName('[::1]:80')).toEqual({ host: '[::1]', port: 80 });
    expect(parseServerName('1.2.3.4')).toEqual({ host: '1.2.3.4', port: undefined });
    expect(() => parseServerName('bad name')).toThrow(InvalidIdentifierError);
  });
});

describe('user ids', () => {
  it('accepts the current grammar', () => {
    expect(parseUserId('@alice.b_c=d-e/f+g:example.com:8448', { strict: true })).toEqual({
      localpart: 'alice.b_c=d-e/f+g',
      serverName: 'example.com:8448',
    });
  });

  it('accepts historical localparts unless strict, and flags them as non-compliant', () => {
    for (const id of ['@Alice:example.com', '@ali ce:example.com', '@:example.com', '@日本:example.com', '@a\u0001:example.com']) {
      expect(isValidUserId(id)).toBe(true);
      expect(isValidUserId(id, { strict: true })).toBe(false);
    }
    expect(isCompliantUserId('@Alice:example.com')).toBe(true); // ASCII 0x21–0x7E
    expect(isCompliantUserId('@ali ce:example.com')).toBe(false);
    expect(isCompliantUserId('@:example.com')).toBe(false);
  });

  it.each([
    ['alice:example.com', 'must start with "@"'],
    ['@alice', 'missing ":"'],
    ['@alice:', 'invalid server name'],
    ['@al\u0000ice:example.com', 'NUL'],
    ['@al\uD800ice:example.com', 'lone surrogate'],
    ['@' + 'a'.repeat(250) + ':example.com', 'longer than 255 bytes'],
    ['@alice:exa mple.com', 'invalid server name'],
  ])('%j is rejected: %s', (id, reason) => {
    expect(checkUserId(id)).toContain(reason);
    try {
      parseUserId(id);
      throw new Error('expected a throw');
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidIdentifierError);
      expect((e as InvalidIdentifierError).kind).toBe('user_id');
    }
  });

  it('strict grammar names the allowed characters', () => {
    expect(checkUserId('@Alice:example.com', { strict: true })).toMatch(/a-z, 0-9/);
    expect(checkUserId('@:example.com', { strict: true })).toBe('empty localpart');
  });

  it('counts the 255 limit in UTF-8 bytes', () => {
    const id = '@' + 'é'.repeat(125) + ':example.com'; // 138 chars, 263 bytes
    expect(id.length).toBeLessThan(255);
    expect(checkUserId(id)).toContain('255 bytes');
  });
});

describe('room ids', () => {
  const v10 = roomVersion('10');
  const v12 = roomVersion('12');
  const hash = 'Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg';

  it('v1–v11 room ids have a server name', () => {
    expect(parseRoomId('!abc:example.com', v10)).toEqual({ format: 'server', localpart: 'abc', serverName: 'example.com' });
    expect(checkRoomId(`!${hash}`, v10)).toContain('missing ":"');
  });

  it('v12 room ids are the create event hash in URL-safe base64', () => {
    expect(parseRoomId(`!${hash}`, v12)).toEqual({ format: 'create-event', hash });
    expect(checkRoomId('!abc:example.com', v12)).toContain('43 characters');
    expect(checkRoomId(`!${hash.slice(1)}`, v12)).toContain('43 characters');
    expect(checkRoomId(`!${hash.replace('-', '+')}`, v12)).toContain('URL-safe');
  });

  it('without a version either form is accepted', () => {
    expect(isValidRoomId(`!${hash}`)).toBe(true);
    expect(isValidRoomId('!abc:example.com')).toBe(true);
    expect(checkRoomId('#abc:example.com')).toBe('must start with "!"');
    expect(checkRoomId('!:example.com')).toBe('empty localpart');
  });
});

describe('event ids', () => {
  const [v1, v3, v4] = ['1', '3', '4'].map(roomVersion);
  const std = 'acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk';
  const url = 'Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg';

  it('v1–v2: $opaque:server', () => {
    expect(isValidEventId('$abc123:example.com', v1)).toBe(true);
    expect(checkEventId(`$${url}`, v1)).toContain('missing ":"');
    expect(checkEventId('$abc:bad host', v1)).toContain('invalid server name');
  });

  it('v3: standard base64 reference hash (the spec examples)', () => {
    for (const v of vectorsOfKind('event_id_format_example').filter((v) => v.input.room_versions.includes('3'))) {
      expect(isValidEventId(v.expected, v3)).toBe(true);
    }
    expect(isValidEventId(`$${std}`, v3)).toBe(true);
    expect(checkEventId(`$${url}`, v3)).toContain('unpadded base64');
    expect(checkEventId('$abc:example.com', v3)).toContain('43 characters');
  });

  it('v4+: URL-safe base64 reference hash (the spec example)', () => {
    const example = vectorsOfKind('event_id_format_example').find((v) => v.input.room_versions.includes('4'))!;
    for (const rv of example.input.room_versions) expect(isValidEventId(example.expected, roomVersion(rv))).toBe(true);
    expect(checkEventId(`$${std}`, v4)).toContain('URL-safe');
  });

  it('rejects a missing sigil and over-long ids', () => {
    expect(checkEventId(url)).toBe('must start with "$"');
    expect(checkEventId('$' + 'a'.repeat(250) + ':example.com')).toContain('255 bytes');
  });
});

describe('room aliases', () => {
  it('accepts any localpart but ":" and NUL', () => {
    expect(parseRoomAlias('#Room Name!:example.com')).toEqual({ localpart: 'Room Name!', serverName: 'example.com' });
  });
  it.each([
    ['room:example.com', 'must start with "#"'],
    ['#room', 'missing ":"'],
    ['#:example.com', 'empty localpart'],
    ['#a\u0000b:example.com', 'NUL'],
    ['#room:bad_host', 'invalid server name'],
  ])('%j is rejected: %s', (alias, reason) => {
    expect(checkRoomAlias(alias)).toContain(reason);
  });
});

describe('device ids', () => {
  it('accepts the OAuth scope characters', () => {
    expect(isValidDeviceId('ABCDEFGHIJ')).toBe(true);
    expect(isValidDeviceId('dev-1.2_3~x!#[]')).toBe(true);
  });
  it.each([
    ['', 'empty'],
    ['a b', 'printable ASCII'],
    ['a"b', 'printable ASCII'],
    ['a\\b', 'printable ASCII'],
    ['dévice', 'printable ASCII'],
    ['x'.repeat(256), 'longer than 255'],
  ])('%j is rejected: %s', (id, reason) => {
    expect(checkDeviceId(id)).toContain(reason);
  });
  it('generates 10 upper-case letters', () => {
    expect(generateDeviceId()).toMatch(/^[A-Z]{10}$/);
    expect(generateDeviceId()).not.toBe(generateDeviceId());
  });
});

describe('other grammars', () => {
  it('common namespaced identifiers', () => {
    expect(isValidNamespacedId('m.login.password')).toBe(true);
    expect(isValidNamespacedId('com.example-x_y')).toBe(true);
    expect(isValidNamespacedId('M.login')).toBe(false);
    expect(isValidNamespacedId('1abc')).toBe(false);
    expect(isValidNamespacedId('a'.repeat(256))).toBe(false);
  });
  it('opaque identifiers', () => {
    expect(isValidOpaqueId('abc-._~XYZ09')).toBe(true);
    expect(isValidOpaqueId('a/b')).toBe(false);
    expect(isValidOpaqueId('')).toBe(false);
  });
});
