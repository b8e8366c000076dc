import { describe, expect, it } from 'vitest';
import { selectAuthEvents } from '../../../src/matrix/auth-events';
import { authorizeByAuthEvents, authorizeByState, authStateOf } from '../../../src/matrix/auth-rules/index';
import { buildEvent, type EventDraft } from '../../../src/matrix/event-builder';
import { validatePdu } from '../../../src/matrix/event-format';
import { verifyEventSignature } from '../../../src/matrix/event-signing';
import { checkContentHash, computeEventId } from '../../../src/matrix/hashes';
import { isValidEventId, isValidRoomId } from '../../../src/matrix/ids';
import { defaultPowerLevelsContent } from '../../../src/matrix/power-levels';
import { roomVersion } from '../../../src/matrix/room-versions';
import { generateSigningKeyText, parseSigningKey } from '../../../src/matrix/signing';
import { stateKey } from '../../../src/matrix/state-map';
import type { RoomEvent } from '../../../src/matrix/types';

const ALICE = '@alice:example.com';

/** Creates a room the way the room server will: select auth events, build, authorise, apply. */
async function createRoom(rv: string) {
  const version = roomVersion(rv);
  const key = await parseSigningKey(generateSigningKeyText());
  const state = new Map<string, RoomEvent>();
  const timeline: RoomEvent[] = [];
  let roomId: string | undefined = version.roomIdFormat === 'create-event' ? undefined : '!abc:example.com';

  async function send(draft: EventDraft) {
    const authEvents = selectAuthEvents(version, { type: draft.type, sender: draft.sender, state_key: draft.stateKey, content: draft.content }, (t, s) =>
      state.get(stateKey(t, s))?.eventId,
    ).map((id) => timeline.find((e) => e.eventId === id)!);
    const built = await buildEvent(draft, {
      version,
      roomId,
      serverName: 'example.com',
      key,
      prevEvents: timeline.length ? [timeline[timeline.length - 1]] : [],
      authEvents,
    });
    roomId = built.roomId;
    const event: RoomEvent = { eventId: built.eventId, pdu: built.pdu };
    const byAuth = authorizeByAuthEvents(version, event, { authEvents, createEvent: state.get(stateKey('m.room.create', '')) });
    const byState = authorizeByState(version, event, state);
    timeline.push(event);
    if (event.pdu.state_key !== undefined) state.set(stateKey(event.pdu.type, event.pdu.state_key), event);
    return { event, byAuth, byState };
  }

  const createContent: Record<string, unknown> = { room_version: rv };
  if (!version.implicitRoomCreator) createContent.creator = ALICE;
  const results = [
    await send({ type: 'm.room.create', stateKey: '', sender: ALICE, content: createContent }),
    await send({ type: 'm.room.member', stateKey: ALICE, sender: ALICE, content: { membership: 'join' } }),
    await send({ type: 'm.room.power_levels', stateKey: '', sender: ALICE, content: defaultPowerLevelsContent(ALICE, version) }),
    await send({ type: 'm.room.join_rules', stateKey: '', sender: ALICE, content: { join_rule: 'invite' } }),
    await send({ type: 'm.room.message', sender: ALICE, content: { msgtype: 'm.text', body: 'hello' } }),
  ];
  return { version, key, results, roomId: roomId!, state };
}

describe.each(['1', '3', '4', '10', '11', '12'])('building a room in version %s', (rv) => {
  it('produces valid, hashed, signed events that pass the auth rules', async () => {
    const { version, key, results, roomId } = await createRoom(rv);
    expect(isValidRoomId(roomId, version)).toBe(true);
    for (const { event, byAuth, byState } of results) {
      expect(byAuth).toEqual({ allowed: true });
      expect(byState).toEqual({ allowed: true });
      expect(validatePdu(event.pdu, version)).toBe(event.pdu);
      expect(isValidEventId(event.eventId, version)).toBe(true);
      expect(await computeEventId(event.pdu, version)).toBe(event.eventId);
      expect(await checkContentHash(event.pdu)).toBe(true);
      expect(await verifyEventSignature(event.pdu, version, 'example.com', key.keyId, key.publicKey)).toBe(true);
    }
    const [create, join, , , message] = results.map((r) => r.event.pdu);
    expect(create.depth).toBe(1);
    expect(join.depth).toBe(2);
    expect(message.depth).toBe(5);
    if (version.roomIdFormat === 'create-event') {
      expect(create.room_id).toBeUndefined();
      expect(roomId).toBe('!' + results[0].event.eventId.slice(1));
      expect(join.auth_events).toEqual([]); // the create event is implied, and nothing else exists yet
    } else {
      expect(create.room_id).toBe(roomId);
    }
    if (version.eventIdFormat === 'v1') {
      // v1–v2 reference prev/auth events as [event_id, {sha256}] pairs.
      expect(Array.isArray(join.prev_events[0])).toBe(true);
      expect((join.prev_events[0] as unknown[])[0]).toBe(results[0].event.eventId);
    }
  });

  it('an uninvited join into the invite-only room fails authorisation', async () => {
    const { version, state, roomId, key } = await createRoom(rv);
    const draft = { type: 'm.room.member', stateKey: '@bob:example.com', sender: '@bob:example.com', content: { membership: 'join' } };
    const auth = selectAuthEvents(version, { type: draft.type, sender: draft.sender, state_key: draft.stateKey, content: draft.content }, (t, s) =>
      state.get(stateKey(t, s))?.eventId,
    );
    const built = await buildEvent(draft, {
      version,
      roomId,
      serverName: 'example.com',
      key,
      prevEvents: [...state.values()],
      authEvents: auth.map((id) => [...state.values()].find((e) => e.eventId === id)!),
    });
    const r = authorizeByState(version, built, authStateOf(state.values()));
    expect(r).toMatchObject({ allowed: false, rule: 'member.join.not_allowed' });
  });
});
