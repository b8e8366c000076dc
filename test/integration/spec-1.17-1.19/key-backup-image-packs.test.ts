// v1.19 events that need nothing from the server but to be kept and served as they were sent:
// m.key_backup account data (MSC4287), image packs as room state (m.room.image_pack, any state
// key) and as account data (m.image_pack.rooms), and the m.recent_emoji account data of v1.18.
// Each is checked against its event schema and returned byte for byte through every read path.
import { describe, expect, it } from 'vitest';
import { call, registerUser } from '../helpers/client';
import { createRoom, enc, expectEventSpec, getState, join, putState, roomState, type Ev } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { ss } from '../sliding-sync/helpers';
import { sync } from '../sync/helpers';
import { getAccountData, putAccountData } from './helpers';

const MXC = 'mxc://example.org/abcdefghijklmnop';

const pack = {
  images: {
    myemote: { url: MXC, body: 'My emote 🙂', info: { w: 64, h: 64, mimetype: 'image/png', size: 1234 }, usage: ['emoticon'] },
    a_sticker: { url: 'mxc://example.org/sticker', usage: ['sticker'] },
  },
  pack: { display_name: 'Pack ünïcode', avatar_url: MXC, usage: ['emoticon', 'sticker'], attribution: 'me' },
  'org.example.extra': { nested: [1, -2, null, { deep: true }] },
};

describe('m.key_backup, m.image_pack.rooms and m.recent_emoji account data', () => {
  it('are kept and served as sent, also in /sync', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const data: Record<string, Record<string, unknown>> = {
      'm.key_backup': { enabled: false, 'org.example': 'kept' },
      'm.image_pack.rooms': { rooms: { [roomId]: { '': {}, mine: { 'org.example': 1 } } } },
      'm.recent_emoji': { recent_emoji: [{ emoji: '🐈', total: 3 }, { emoji: ':custom:', total: 1 }] },
    };
    for (const [type, content] of Object.entries(data)) {
      const put = await putAccountData(alice, type, content);
      expect(put.status, JSON.stringify(put.body)).toBe(200);
      expectSpec('PUT /_matrix/client/v3/user/{userId}/account_data/{type}', 200, put.body);
      const got = await getAccountData(alice, type);
      expect(got.status).toBe(200);
      expectSpec('GET /_matrix/client/v3/user/{userId}/account_data/{type}', 200, got.body);
      expect(got.body).toEqual(content);
      expectEventSpec({ type, content } as unknown as Ev);
    }
    const s = await sync(alice);
    for (const [type, content] of Object.entries(data)) expect(s.account_data.events).toContainEqual({ type, content });
    // Changing m.key_backup is an ordinary update, seen by the next incremental sync.
    expect((await putAccountData(alice, 'm.key_backup', { enabled: true })).status).toBe(200);
    const next = await sync(alice, { since: s.next_batch });
    expect(next.account_data.events).toEqual([{ type: 'm.key_backup', content: { enabled: true } }]);
  });

  it('a malformed account data request is refused, nothing stored', async () => {
    const alice = await registerUser();
    const r = await call('PUT', `/_matrix/client/v3/user/${enc(alice.userId)}/account_data/m.key_backup`, { token: alice.token, raw: 'not json' });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_NOT_JSON');
    const arr = await call('PUT', `/_matrix/client/v3/user/${enc(alice.userId)}/account_data/m.key_backup`, { token: alice.token, body: [true] });
    expect(arr.status).toBe(400);
    expect(arr.body.errcode).toBe('M_BAD_JSON');
    const got = await getAccountData(alice, 'm.key_backup');
    expect(got.status).toBe(404);
    expect(got.body.errcode).toBe('M_NOT_FOUND');
  });
});

describe('m.room.image_pack state', () => {
  it('is ordinary state under any state key, served whole by /state, /sync and sliding sync', async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    const ids: string[] = [];
    for (const key of ['', 'second pack']) {
      const r = await putState(alice, roomId, 'm.room.image_pack', pack, key);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expectSpec('PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}', 200, r.body);
      ids.push(r.body.event_id);
    }
    expect((await join(bob, roomId)).status).toBe(200);
    const one = await getState(bob, roomId, 'm.room.image_pack', 'second pack');
    expect(one.status).toBe(200);
    expect(one.body).toEqual(pack);

    const all = await roomState(bob, roomId);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/state', 200, all.body);
    const packs = all.body.filter((e) => e.type === 'm.room.image_pack');
    expect(packs.map((e) => e.state_key).sort()).toEqual(['', 'second pack']);
    for (const e of packs) {
      expect(e.content).toEqual(pack);
      expectEventSpec(e);
    }
    const s = await sync(bob);
    const joined = s.rooms.join[roomId];
    const served = [...joined.state.events, ...joined.timeline.events].filter((e: Ev) => e.type === 'm.room.image_pack');
    expect(served.map((e: Ev) => e.event_id).sort()).toEqual([...ids].sort());
    for (const e of served) expect(e.content).toEqual(pack);

    const body = await ss(bob, { room_subscriptions: { [roomId]: { timeline_limit: 1, required_state: [['m.room.image_pack', '*']] } } });
    const req = (body.rooms[roomId].required_state ?? []) as unknown as Ev[];
    expect(req.filter((e) => e.type === 'm.room.image_pack').map((e) => e.content)).toEqual([pack, pack]);
  });

  it('follows power levels like any state event', async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const r = await putState(bob, roomId, 'm.room.image_pack', pack, 'bobs');
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    expect(r.body.errcode).toBe('M_FORBIDDEN');
    expect((await getState(bob, roomId, 'm.room.image_pack', 'bobs')).status).toBe(404);
  });
});
