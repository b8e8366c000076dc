import { describe, expect, it } from 'vitest';
import { hashAndSignEvent, requiredSignatureServers, verifyEventSignature } from '../../../src/matrix/event-signing';
import {
  checkContentHash,
  computeEventId,
  contentHashBase64,
  createEventIdFromRoomId,
  roomIdFromCreateEventId,
} from '../../../src/matrix/hashes';
import { roomVersion } from '../../../src/matrix/room-versions';
import { parseSigningKey } from '../../../src/matrix/signing';
import { vectorsOfKind } from './spec-vectors';

const keyFor = (seed: string) => parseSigningKey(`ed25519 1 ${seed}`);

describe('content hash (spec vectors)', () => {
  for (const v of vectorsOfKind('content_hash')) {
    it(v.name, async () => {
      expect(await contentHashBase64(v.input)).toBe(v.expected.sha256);
      expect(await checkContentHash({ ...v.input, hashes: v.expected })).toBe(true);
      expect(await checkContentHash({ ...v.input, content: { changed: true }, hashes: v.expected })).toBe(false);
    });
  }
});

describe('event signing (spec vectors, room v1–v10 redaction rules)', () => {
  for (const v of vectorsOfKind('event_signing')) {
    for (const rv of ['1', '3', '10']) {
      it(`${v.name} in room v${rv}`, async () => {
        const key = await keyFor(v.input.seed_base64);
        const signed = await hashAndSignEvent(v.input.event, roomVersion(rv), v.input.server_name, key);
        expect(signed).toEqual(v.expected);
        expect(await verifyEventSignature(signed, roomVersion(rv), 'domain', 'ed25519:1', key.publicKey)).toBe(true);
      });
    }

    it(`${v.name}: v11 redaction drops top-level origin, so the signature differs`, async () => {
      const key = await keyFor(v.input.seed_base64);
      const signed = await hashAndSignEvent(v.input.event, roomVersion('11'), v.input.server_name, key);
      expect(signed.hashes).toEqual(v.expected.hashes);
      expect(signed.signatures.domain['ed25519:1']).not.toBe(v.expected.signatures.domain['ed25519:1']);
      expect(await verifyEventSignature(v.expected, roomVersion('11'), 'domain', 'ed25519:1', key.publicKey)).toBe(false);
    });
  }

  it('the signature survives redaction of the content but not a changed type', async () => {
    const [, v] = vectorsOfKind('event_signing');
    const key = await keyFor(v.input.seed_base64);
    const rv = roomVersion('10');
    const redacted = { ...v.expected, content: {} };
    expect(await verifyEventSignature(redacted, rv, 'domain', 'ed25519:1', key.publicKey)).toBe(true);
    expect(await verifyEventSignature({ ...redacted, type: 'm.room.topic' }, rv, 'domain', 'ed25519:1', key.publicKey)).toBe(false);
  });
});

describe('event ids', () => {
  const [minimal] = vectorsOfKind('event_signing');

  it('v3–v10 reference hash event id of the minimal signed event (derived vector)', async () => {
    const id = minimal.derived.event_id_room_v3_to_v10;
    expect(await computeEventId(minimal.expected, roomVersion('4'))).toBe(id);
    expect(await computeEventId(minimal.expected, roomVersion('10'))).toBe(id);
    // v3 uses the standard alphabet; this hash happens to contain neither + nor /.
    expect(await computeEventId(minimal.expected, roomVersion('3'))).toBe(id);
  });

  it('does not depend on signatures, unsigned or redactable content', async () => {
    const rv = roomVersion('10');
    const base = await computeEventId(minimal.expected, rv);
    expect(await computeEventId({ ...minimal.expected, signatures: {}, unsigned: { x: 1 } }, rv)).toBe(base);
    expect(await computeEventId({ ...minimal.expected, content: { body: 'x' } }, rv)).toBe(base);
    expect(await computeEventId({ ...minimal.expected, depth: 4 }, rv)).not.toBe(base);
  });

  it('v3 uses standard base64 and v4+ URL-safe base64 of the same hash', async () => {
    // Search a few events for a hash containing + or / to see the alphabets differ.
    for (let ts = 0; ts < 200; ts++) {
      const ev = { ...minimal.expected, origin_server_ts: ts };
      const v3 = await computeEventId(ev, roomVersion('3'));
      if (/[+/]/.test(v3)) {
        const v4 = await computeEventId(ev, roomVersion('4'));
        expect(v4).toBe(v3.replace(/\+/g, '-').replace(/\//g, '_'));
        expect(v4).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
        return;
      }
    }
    throw new Error('no hash with + or / found');
  });

  it('v1/v2 event ids are carried in the event', async () => {
    expect(await computeEventId({ event_id: '$abc:domain' }, roomVersion('1'))).toBe('$abc:domain');
    await expect(computeEventId({}, roomVersion('2'))).rejects.toThrow(/carry/);
  });

  it('v12 room ids are the create event id with "!"', () => {
    expect(roomIdFromCreateEventId('$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg')).toBe('!Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg');
    expect(createEventIdFromRoomId('!Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg')).toBe('$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg');
  });
});

describe('required signatures', () => {
  it('sender server; v1–v2 also the event id server; v8+ restricted joins also the authorising server', () => {
    const msg = { type: 'm.room.message', sender: '@a:one', event_id: '$x:two', content: {} };
    expect(requiredSignatureServers(msg, roomVersion('1')).sort()).toEqual(['one', 'two']);
    expect(requiredSignatureServers(msg, roomVersion('3'))).toEqual(['one']);
    const join = {
      type: 'm.room.member',
      sender: '@a:one',
      state_key: '@a:one',
      content: { membership: 'join', join_authorised_via_users_server: '@b:three' },
    };
    expect(requiredSignatureServers(join, roomVersion('8')).sort()).toEqual(['one', 'three']);
    expect(requiredSignatureServers(join, roomVersion('7'))).toEqual(['one']);
    // The auth rules check the key on any membership, so its signature is required on any.
    const leave = { ...join, content: { ...join.content, membership: 'leave' } };
    expect(requiredSignatureServers(leave, roomVersion('10')).sort()).toEqual(['one', 'three']);
    const tpInvite = {
      type: 'm.room.member',
      sender: '@a:one',
      state_key: '@c:four',
      content: { membership: 'invite', third_party_invite: { signed: {} } },
    };
    expect(requiredSignatureServers(tpInvite, roomVersion('10'))).toEqual([]);
  });
});
