import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../../src/matrix/errors';
import { checkPduSize, MAX_PDU_BYTES, validatePdu } from '../../../src/matrix/event-format';
import { findNonCanonicalNumber, parseJson, parseJsonObject } from '../../../src/matrix/json';
import { roomVersion } from '../../../src/matrix/room-versions';
import type { JsonObject } from '../../../src/matrix/types';

const H = 'A'.repeat(43);
const pdu = (over: JsonObject = {}): JsonObject => ({
  type: 'm.room.message',
  sender: '@a:example.com',
  room_id: '!r:example.com',
  origin_server_ts: 1,
  content: { body: 'x' },
  depth: 3,
  hashes: { sha256: H },
  signatures: { 'example.com': { 'ed25519:1': 'sig' } },
  auth_events: [`$${H}`],
  prev_events: [`$${H}`],
  ...over,
});

function errorOf(f: () => unknown): MatrixError {
  try {
    f();
  } catch (e) {
    if (e instanceof MatrixError) return e;
    throw e;
  }
  throw new Error('expected a MatrixError');
}

describe('validatePdu', () => {
  const v10 = roomVersion('10');

  it('accepts a well-formed v4+ PDU and a v1 PDU with event_id and reference pairs', () => {
    expect(validatePdu(pdu(), v10).type).toBe('m.room.message');
    const v1 = pdu({ event_id: '$e:example.com', auth_events: [['$a:example.com', { sha256: H }]], prev_events: [] });
    expect(validatePdu(v1, roomVersion('1')).sender).toBe('@a:example.com');
  });

  it.each<[string, JsonObject, string]>([
    ['type missing', { type: undefined }, 'type'],
    ['type too long', { type: 'x'.repeat(256) }, 'type'],
    ['sender not a user id', { sender: 'alice' }, 'sender'],
    ['room_id missing', { room_id: undefined }, 'room_id'],
    ['room_id of the wrong format', { room_id: `!${H}` }, 'room_id'],
    ['state_key not a string', { state_key: 1 }, 'state_key'],
    ['state_key too long', { state_key: 'é'.repeat(128) }, 'state_key'],
    ['origin_server_ts not an integer', { origin_server_ts: '1' }, 'origin_server_ts'],
    ['content not an object', { content: [] }, 'content'],
    ['depth negative', { depth: -1 }, 'depth'],
    ['depth above 2^53-1', { depth: 2 ** 53 }, 'depth'],
    ['hashes without sha256', { hashes: {} }, 'hashes'],
    ['signatures malformed', { signatures: { 'example.com': 'x' } }, 'signatures'],
    ['unsigned not an object', { unsigned: 1 }, 'unsigned'],
    ['redacts not a string', { redacts: 1 }, 'redacts'],
    ['too many auth events', { auth_events: Array(11).fill(`$${H}`) }, 'auth_events'],
    ['too many prev events', { prev_events: Array(21).fill(`$${H}`) }, 'prev_events'],
    ['a prev event id of the wrong format', { prev_events: ['$abc:example.com'] }, 'prev_events'],
    ['reference pairs in a v4+ room', { prev_events: [[`$${H}`, { sha256: H }]] }, 'prev_events'],
  ])('%s: 400 M_BAD_JSON naming the field', (_label, over, field) => {
    const e = errorOf(() => validatePdu(pdu(over), v10));
    expect(e.status).toBe(400);
    expect(e.errcode).toBe('M_BAD_JSON');
    expect(e.extra).toEqual({ field });
  });

  it('v1–v2 need event_id and [id, hashes] pairs', () => {
    const v1 = roomVersion('1');
    expect(errorOf(() => validatePdu(pdu({ prev_events: [], auth_events: [] }), v1)).extra).toEqual({ field: 'event_id' });
    expect(errorOf(() => validatePdu(pdu({ event_id: '$e:example.com' }), v1)).extra).toEqual({ field: 'auth_events' });
  });

  it('v12: the create event has no room_id; other events need a hash room id', () => {
    const v12 = roomVersion('12');
    const create = pdu({ type: 'm.room.create', state_key: '', room_id: undefined, auth_events: [], prev_events: [] });
    delete create.room_id;
    expect(validatePdu(create, v12).room_id).toBeUndefined();
    expect(errorOf(() => validatePdu(pdu(), v12)).extra).toEqual({ field: 'room_id' });
    expect(validatePdu(pdu({ room_id: `!${H}` }), v12).room_id).toBe(`!${H}`);
  });

  it('v11+: content.redacts of a redaction must be a string', () => {
    const e = pdu({ type: 'm.room.redaction', content: { redacts: 5 } });
    expect(errorOf(() => validatePdu(e, roomVersion('11'))).extra).toEqual({ field: 'content.redacts' });
  });

  it('floats have no canonical form: M_BAD_JSON', () => {
    const e = errorOf(() => validatePdu(pdu({ content: { n: 1.5 } }), v10));
    expect(e.errcode).toBe('M_BAD_JSON');
  });

  it('over 65536 bytes of canonical JSON: 413 M_TOO_LARGE', () => {
    const big = pdu({ content: { body: 'x'.repeat(MAX_PDU_BYTES) } });
    const e = errorOf(() => validatePdu(big, v10));
    expect(e.status).toBe(413);
    expect(e.errcode).toBe('M_TOO_LARGE');
  });

  it('exactly 65536 bytes is allowed', () => {
    const base = checkPduSize(pdu({ content: { body: '' } }));
    expect(checkPduSize(pdu({ content: { body: 'x'.repeat(MAX_PDU_BYTES - base) } }))).toBe(MAX_PDU_BYTES);
    expect(() => checkPduSize(pdu({ content: { body: 'x'.repeat(MAX_PDU_BYTES - base + 1) } }))).toThrow(MatrixError);
  });
});

describe('parseJson', () => {
  it('invalid JSON is 400 M_NOT_JSON', () => {
    const e = errorOf(() => parseJson('{nope'));
    expect([e.status, e.errcode]).toEqual([400, 'M_NOT_JSON']);
  });
  it('a non-object body is M_BAD_JSON for parseJsonObject', () => {
    expect(errorOf(() => parseJsonObject('[1]')).errcode).toBe('M_BAD_JSON');
    expect(parseJsonObject('{"a":1}')).toEqual({ a: 1 });
  });
  it('canonical numbers: floats, exponents and out-of-range integers are M_BAD_JSON', () => {
    for (const text of ['{"a":1.0}', '{"a":1e2}', '{"a":[9007199254740992]}', '{"a":-9007199254740992}', '{"a":1E-2}']) {
      expect(errorOf(() => parseJson(text, { canonicalNumbers: true })).errcode).toBe('M_BAD_JSON');
    }
    expect(parseJson('{"a":-0,"b":9007199254740991,"c":"1.5e3 in a string \\" 2.5"}', { canonicalNumbers: true })).toEqual({
      a: -0,
      b: 9007199254740991,
      c: '1.5e3 in a string " 2.5',
    });
    expect(parseJson('{"a":1.5}')).toEqual({ a: 1.5 });
  });
  it('findNonCanonicalNumber reports the offending token', () => {
    expect(findNonCanonicalNumber('{"x":[1,2.50,3]}')).toBe('2.50');
    expect(findNonCanonicalNumber('{"x":"1.5","y":true,"z":null}')).toBeUndefined();
  });
});
