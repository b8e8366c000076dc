import { describe, expect, it } from 'vitest';
import { call, registerUser } from '../helpers/client';
import { createRoom } from '../helpers/rooms';
import { fakeServer, interceptFederation, strayRequests } from './fake-server';

interceptFederation();

describe('smoke', () => {
  it('joins and gets typing', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    const bob = remote.user('bob');
    await remote.joinRoom(roomId, bob);
    const r = await call('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(alice.userId)}`, { token: alice.token, body: { typing: true, timeout: 10000 } });
    expect(r.status).toBe(200);
    const got = await remote.waitFor((x) => x.method === 'PUT' && JSON.stringify(x.body).includes('m.typing'));
    console.log(JSON.stringify(got.body), strayRequests, remote.received.map((x) => x.method + ' ' + x.path));
  });
});
