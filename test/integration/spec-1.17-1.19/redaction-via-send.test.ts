// Redactions through PUT /rooms/{roomId}/send/m.room.redaction/{txnId} (v1.18, MSC4169): the same
// as the redact endpoint, with `redacts` taken from the content and placed per room version (top
// level up to v10, in content from v11), the same permission checks and the same errors.
// The full comparison per room version lives in test/integration/rooms/redact.test.ts.
import { describe, expect, it } from 'vitest';
import { registerUser, type Reply } from '../helpers/client';
import { createRoom, getEvent, join, nextTxn, redact, sendOk, sendWithTxn, storedEvents } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const SEND = 'PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}';
const REDACT = 'PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}';

function refused(r: Reply, status: number, errcode: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body.errcode).toBe(errcode);
  // The operation documents a 400 body only; a 403 is the common error shape.
  if (status === 400) expectSpec(SEND, status, r.body);
  else expect(typeof r.body.error).toBe('string');
}

describe('m.room.redaction through /send', () => {
  it.each(['10', '11'])('room v%s: the stored event and the served one match those of /redact', async (version) => {
    const alice = await registerUser();
    const roomId = await createRoom(alice, { room_version: version });
    const [a, b] = [await sendOk(alice, roomId), await sendOk(alice, roomId)];
    const viaSend = await sendWithTxn(alice, roomId, 'm.room.redaction', nextTxn(), { redacts: b, reason: 'r' });
    expect(viaSend.status, JSON.stringify(viaSend.body)).toBe(200);
    expectSpec(SEND, 200, viaSend.body);
    const viaRedact = await redact(alice, roomId, a, { reason: 'r' });
    expectSpec(REDACT, 200, viaRedact.body);

    const stored = new Map((await storedEvents(roomId)).map((r) => [r.eventId, r.pdu]));
    const [s, d] = [stored.get(viaSend.body.event_id)!, stored.get(viaRedact.body.event_id)!];
    if (version === '10') {
      expect([s.redacts, s.content]).toEqual([b, { reason: 'r' }]);
      expect([d.redacts, d.content]).toEqual([a, { reason: 'r' }]);
    } else {
      expect([s.redacts, s.content]).toEqual([undefined, { redacts: b, reason: 'r' }]);
      expect([d.redacts, d.content]).toEqual([undefined, { redacts: a, reason: 'r' }]);
    }
    // Both targets are redacted, and served redactions name their target both ways.
    for (const [target, redaction] of [[b, viaSend.body.event_id], [a, viaRedact.body.event_id]]) {
      const t = await getEvent(alice, roomId, target);
      expect(t.body.content).toEqual({});
      expect(t.body.unsigned?.redacted_because?.event_id).toBe(redaction);
      const r = await getEvent(alice, roomId, redaction);
      expect(r.body.redacts).toBe(target);
      expect(r.body.content.redacts).toBe(target);
    }
  });

  it('refuses what /redact refuses, and a missing or malformed redacts', async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const target = await sendOk(alice, roomId);
    refused(await sendWithTxn(alice, roomId, 'm.room.redaction', nextTxn(), { reason: 'no target' }), 400, 'M_BAD_JSON');
    refused(await sendWithTxn(alice, roomId, 'm.room.redaction', nextTxn(), { redacts: 42 }), 400, 'M_BAD_JSON');
    refused(await sendWithTxn(alice, roomId, 'm.room.redaction', nextTxn(), { redacts: 'not-an-event' }), 400, 'M_INVALID_PARAM');
    // Another user's event needs the redact level, as through /redact.
    const viaSend = await sendWithTxn(bob, roomId, 'm.room.redaction', nextTxn(), { redacts: target });
    const viaRedact = await redact(bob, roomId, target);
    refused(viaSend, 403, 'M_FORBIDDEN');
    expect([viaRedact.status, viaRedact.body.errcode]).toEqual([403, 'M_FORBIDDEN']);
    expect((await getEvent(alice, roomId, target)).body.unsigned?.redacted_because).toBeUndefined();
    // Same transaction id, same redaction.
    const txn = nextTxn();
    const first = await sendWithTxn(alice, roomId, 'm.room.redaction', txn, { redacts: target });
    const again = await sendWithTxn(alice, roomId, 'm.room.redaction', txn, { redacts: target });
    expect(again.body.event_id).toBe(first.body.event_id);
  });
});
