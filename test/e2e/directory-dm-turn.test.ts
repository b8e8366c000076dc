// matrix-js-sdk does what Element does to call someone new: find them in the user directory, start a
// direct chat (createRoom with is_direct and an invite, then m.direct account data on both sides),
// and fetch TURN credentials, which must verify against the server's shared secret.
import { createHmac } from 'node:crypto';
import { EventType, Preset, Visibility, type MatrixClient } from 'matrix-js-sdk';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { newClient, until } from './lib/clients';

const turn = inject('turn');

const started: MatrixClient[] = [];
async function start(c: MatrixClient) {
  await c.startClient({ initialSyncLimit: 20 });
  await until('first sync', () => c.isInitialSyncComplete());
  started.push(c);
}
afterAll(() => started.forEach((c) => c.stopClient()));

describe('finding someone, messaging them directly and calling them, through matrix-js-sdk', () => {
  it('finds a user through the directory, starts a DM with m.direct, and gets valid TURN credentials', async () => {
    const alice = await newClient('alice');
    const bob = await newClient('bob');
    const bobId = bob.getUserId()!;
    const word = `bobby${Date.now().toString(36)}`;
    await bob.setDisplayName(`Bob ${word}`);

    // Bob shares no room with alice and is in no public room: the directory does not reveal him.
    expect((await alice.searchUserDirectory({ term: word })).results).toEqual([]);

    // Once bob is in a public room, alice finds him by a prefix of his name.
    await bob.createRoom({ preset: Preset.PublicChat, visibility: Visibility.Public, name: 'Lobby' });
    const found = await alice.searchUserDirectory({ term: `bob ${word.slice(0, -2)}`, limit: 5 });
    expect(found.limited).toBe(false);
    expect(found.results).toEqual([{ user_id: bobId, display_name: `Bob ${word}` }]);

    await start(alice);
    await start(bob);

    // Element's "start chat": a trusted private room with is_direct and the invite, then m.direct.
    const { room_id: dm } = await alice.createRoom({ preset: Preset.TrustedPrivateChat, visibility: Visibility.Private, is_direct: true, invite: [bobId] });
    await alice.setAccountData(EventType.Direct, { [bobId]: [dm] });

    const invite = await until('bob sees the DM invite', () => bob.getRoom(dm)?.getMyMembership() === 'invite' && bob.getRoom(dm));
    expect(invite.getDMInviter()).toBe(alice.getUserId());
    await bob.joinRoom(dm);
    await bob.setAccountData(EventType.Direct, { [alice.getUserId()!]: [dm] });

    await until('alice sees bob join', () => alice.getRoom(dm)?.getMember(bobId)?.membership === 'join');
    await until("alice's m.direct comes back through sync", () => alice.getAccountData(EventType.Direct)?.getContent()[bobId]?.includes(dm));
    await until("bob's m.direct comes back through sync", () => bob.getAccountData(EventType.Direct)?.getContent()[alice.getUserId()!]?.includes(dm));
    expect(alice.getRoom(dm)!.getMember(alice.getUserId()!)!.membership).toBe('join');

    // Node has no WebRTC, so the SDK leaves call support off there; in a browser it fetches TURN
    // servers at start-up exactly like this and hands getTurnServers() to RTCPeerConnection.
    Object.assign(alice, { canSupportVoip: true });
    expect(await alice.checkTurnServers()).toBe(true);
    const [server] = alice.getTurnServers();
    expect(server.urls).toEqual(turn.uris);
    const [expiry, ...user] = server.username.split(':');
    expect(user.join(':')).toBe(alice.getUserId());
    const ttl = Number(expiry) - Date.now() / 1000;
    expect(ttl).toBeGreaterThan(86_400 - 120);
    expect(ttl).toBeLessThanOrEqual(86_400);
    // What the TURN server checks: HMAC-SHA1 of the username under the shared secret.
    expect(server.credential).toBe(createHmac('sha1', turn.secret).update(server.username).digest('base64'));
    expect(alice.getTurnServersExpiry()).toBeGreaterThan(Date.now() + 86_000_000);
  });
});
