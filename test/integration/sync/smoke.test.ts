import { describe, expect, it } from 'vitest';
import { call, registerUser } from '../helpers/client';
import { createRoom, join, sendOk } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

describe('sync smoke', () => {
  it('initial and incremental sync', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const roomId = await createRoom(alice, { preset: 'public_chat', name: 'S' });
    await join(bob, roomId);
    const first = await call('GET', '/_matrix/client/v3/sync', { token: bob.token });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expectSpec('GET /_matrix/client/v3/sync', 200, first.body);
    expect(first.body.rooms.join[roomId]).toBeDefined();
    const t0 = Date.now();
    const poll = call('GET', `/_matrix/client/v3/sync?since=${first.body.next_batch}&timeout=5000`, { token: bob.token });
    await new Promise((r) => setTimeout(r, 200));
    const id = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'wake up' });
    const second = await poll;
    expect(Date.now() - t0).toBeLessThan(3000);
    expectSpec('GET /_matrix/client/v3/sync', 200, second.body);
    expect(second.body.rooms.join[roomId].timeline.events.map((e: any) => e.event_id)).toEqual([id]);
  });
});
