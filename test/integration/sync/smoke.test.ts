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

  // GET /sync is served by the Worker's entry before the router (src/index.ts): the same answers.
  it('is served at v3 and r0, with CORS headers on answers and errors, and only for GET', async () => {
    const alice = await registerUser();
    for (const base of ['/_matrix/client/v3', '/_matrix/client/r0']) {
      const ok = await call('GET', `${base}/sync?timeout=0`, { token: alice.token });
      expect(ok.status, base).toBe(200);
      expect(ok.headers.get('access-control-allow-origin')).toBe('*');
      expect(ok.headers.get('content-type')).toContain('application/json');
      expect(typeof ok.body.next_batch).toBe('string');
    }
    const missing = await call('GET', '/_matrix/client/v3/sync');
    expect(missing.status).toBe(401);
    expect(missing.body.errcode).toBe('M_MISSING_TOKEN');
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');
    const unknown = await call('GET', '/_matrix/client/v3/sync', { token: 'syt_bm9ib2R5_notatoken_000000' });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
    const badTimeout = await call('GET', '/_matrix/client/v3/sync?timeout=soon', { token: alice.token });
    expect(badTimeout.status).toBe(400);
    expect(badTimeout.body.errcode).toBe('M_INVALID_PARAM');
    expect(badTimeout.headers.get('access-control-allow-origin')).toBe('*');
    // The token may also come as the deprecated access_token query parameter.
    const viaQuery = await call('GET', `/_matrix/client/v3/sync?timeout=0&access_token=${alice.token}`);
    expect(viaQuery.status).toBe(200);
    const post = await call('POST', '/_matrix/client/v3/sync', { token: alice.token, body: {} });
    expect([404, 405]).toContain(post.status);
    expect(post.body.errcode).toBe('M_UNRECOGNIZED');
  });
});
