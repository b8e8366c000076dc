import { describe, expect, it } from 'vitest';
import { call, registerUser } from '../helpers/client';
import { createRoom, join, messages, sendOk } from '../helpers/rooms';

describe('rooms smoke', () => {
  it('creates, joins, sends and reads', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const roomId = await createRoom(alice, { preset: 'public_chat', name: 'Smoke' });
    expect((await join(bob, roomId)).status).toBe(200);
    const id = await sendOk(bob, roomId, { msgtype: 'm.text', body: 'hi' });
    const m = await messages(alice, roomId, { limit: 5 });
    expect(m.status, JSON.stringify(m.body)).toBe(200);
    expect(m.body.chunk[0].event_id).toBe(id);
    const state = await call('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`, { token: bob.token });
    expect(state.body.map((e: any) => e.type)).toContain('m.room.name');
  });
});
