import { describe, expect, it } from 'vitest';
import { toClientEvent } from '../../../src/matrix/client-event';
import { roomVersion } from '../../../src/matrix/room-versions';
import type { Pdu } from '../../../src/matrix/types';

const base = {
  sender: '@a:x',
  room_id: '!r:x',
  origin_server_ts: 5,
  depth: 2,
  hashes: { sha256: 'h' },
  signatures: {},
  auth_events: [],
  prev_events: [],
} as const;

describe('toClientEvent', () => {
  it('keeps the client fields and drops federation ones', () => {
    const pdu = { ...base, type: 'm.room.topic', state_key: '', content: { topic: 't' } } as unknown as Pdu;
    expect(toClientEvent(pdu, '$e', roomVersion('10'), { age: 1 })).toEqual({
      content: { topic: 't' },
      event_id: '$e',
      origin_server_ts: 5,
      room_id: '!r:x',
      sender: '@a:x',
      state_key: '',
      type: 'm.room.topic',
      unsigned: { age: 1 },
    });
  });

  it('serves redacts both top-level and in content in every version', () => {
    const old = { ...base, type: 'm.room.redaction', content: { reason: 'r' }, redacts: '$t' } as unknown as Pdu;
    const c10 = toClientEvent(old, '$e', roomVersion('10'));
    expect(c10.redacts).toBe('$t');
    expect(c10.content).toEqual({ reason: 'r', redacts: '$t' });
    const v11 = { ...base, type: 'm.room.redaction', content: { redacts: '$t' } } as unknown as Pdu;
    const c11 = toClientEvent(v11, '$e', roomVersion('11'));
    expect(c11.redacts).toBe('$t');
    expect(c11.content).toEqual({ redacts: '$t' });
  });

  it('gives a v12 create event its derived room id', () => {
    const { room_id: _r, ...rest } = base;
    const create = { ...rest, type: 'm.room.create', state_key: '', content: {} } as unknown as Pdu;
    expect(toClientEvent(create, '$HASH', roomVersion('12')).room_id).toBe('!HASH');
  });
});
