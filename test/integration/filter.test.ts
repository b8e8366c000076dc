import { describe, expect, it } from 'vitest';
import { call, registerUser } from './helpers/client';
import { expectSpec } from './helpers/spec';

const filterPath = (userId: string, id?: string) => `/_matrix/client/v3/user/${encodeURIComponent(userId)}/filter${id !== undefined ? `/${id}` : ''}`;

describe('filters', () => {
  it('creates a filter and reads back exactly what was stored', async () => {
    const user = await registerUser();
    const filter = {
      event_fields: ['type', 'content.body'],
      event_format: 'client',
      presence: { not_types: ['*'] },
      room: { timeline: { limit: 10, types: ['m.room.message'], lazy_load_members: true }, include_leave: false, rooms: ['!a:test.local'] },
    };
    const created = await call('POST', filterPath(user.userId), { token: user.token, body: filter });
    expect(created.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/user/{userId}/filter', 200, created.body);
    const again = await call('POST', filterPath(user.userId), { token: user.token, body: {} });
    expect(again.body.filter_id).not.toBe(created.body.filter_id);

    const got = await call('GET', filterPath(user.userId, created.body.filter_id), { token: user.token });
    expect(got.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/user/{userId}/filter/{filterId}', 200, got.body);
    expect(got.body).toEqual(filter);
  });

  it('refuses malformed filters', async () => {
    const user = await registerUser();
    for (const body of [{ event_format: 'xml' }, { room: { timeline: { limit: -1 } } }, { room: { rooms: 'one' } }, { event_fields: [1] }, { room: { include_leave: 'yes' } }]) {
      const r = await call('POST', filterPath(user.userId), { token: user.token, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errcode).toBe('M_BAD_JSON');
    }
  });

  it("keeps filters private and answers 404 for unknown ones", async () => {
    const user = await registerUser();
    const mallory = await registerUser();
    const created = await call('POST', filterPath(user.userId), { token: user.token, body: { room: { timeline: { limit: 1 } } } });
    const stolen = await call('GET', filterPath(user.userId, created.body.filter_id), { token: mallory.token });
    expect(stolen.status).toBe(403);
    const forOther = await call('POST', filterPath(user.userId), { token: mallory.token, body: {} });
    expect(forOther.status).toBe(403);
    for (const id of ['999999', 'abc', '-1']) {
      const r = await call('GET', filterPath(user.userId, id), { token: user.token });
      expect(r.status).toBe(404);
      expect(r.body.errcode).toBe('M_NOT_FOUND');
    }
  });
});
