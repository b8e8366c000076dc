// POST /rooms/{roomId}/report/{eventId} and POST /rooms/{roomId}/report (spec v1.18).
import { env } from 'cloudflare:test';
import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../../src/config';
import { httpDb } from '../../../src/db/client';
import { reports } from '../../../src/db/schema';
import { call, registerUser, SERVER_NAME, type TestUser } from '../helpers/client';
import { createRoom, join, sendOk } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const enc = encodeURIComponent;
const reportEvent = (user: TestUser | undefined, roomId: string, eventId: string, body: unknown = { reason: 'spam' }) =>
  call('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/report/${enc(eventId)}`, { token: user?.token, body });
const reportRoom = (user: TestUser | undefined, roomId: string, body: unknown = { reason: 'bad room' }) =>
  call('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/report`, { token: user?.token, body });

async function reportsBy(user: TestUser) {
  return httpDb(env as unknown as Env).select().from(reports).where(eq(reports.reporter, user.userId)).orderBy(asc(reports.id));
}

describe('reporting events', () => {
  it('stores the reports of members who can see the event, and answers every report alike', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const mallory = await registerUser();
    const roomId = await createRoom(alice, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'joined' } }] });
    const early = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'before bob' });
    expect((await join(bob, roomId)).status).toBe(200);
    const eventId = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'offensive' });
    const redacted = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'gone' });
    expect((await call('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(redacted)}/t1`, { token: alice.token, body: {} })).status).toBe(200);
    const otherRoom = await createRoom(alice, { preset: 'public_chat' });
    const elsewhere = await sendOk(alice, otherRoom, { msgtype: 'm.text', body: 'elsewhere' });

    const ok = await reportEvent(bob, roomId, eventId, { reason: 'spam', score: -100 });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expectSpec('POST /_matrix/client/v3/rooms/{roomId}/report/{eventId}', 200, ok.body);
    expect((await reportEvent(bob, roomId, eventId, {})).status).toBe(200);

    // Not stored, and answered the same: an unknown event, an event bob cannot see (sent before
    // he joined under `joined` visibility), a redacted one, one of another room, and an unknown room.
    for (const [r, e] of [
      [roomId, `$${'A'.repeat(43)}`],
      [roomId, early],
      [roomId, redacted],
      [roomId, elsewhere],
      [`!unknown:${SERVER_NAME}`, eventId],
    ]) {
      const res = await reportEvent(bob, r, e);
      expect(res.status, e).toBe(200);
      expect(res.body, e).toEqual({});
    }
    // Not a member: answered alike, not stored.
    expect((await reportEvent(mallory, roomId, eventId)).body).toEqual({});

    const stored = await reportsBy(bob);
    expect(stored.map((r) => ({ roomId: r.roomId, eventId: r.eventId, reason: r.reason }))).toEqual([
      { roomId, eventId, reason: 'spam' },
      { roomId, eventId, reason: null },
    ]);
    expect(await reportsBy(mallory)).toEqual([]);
  });

  it('refuses malformed reports', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const eventId = await sendOk(alice, roomId);
    expect((await reportEvent(alice, roomId, eventId, { reason: 5 })).body.errcode).toBe('M_BAD_JSON');
    expect((await call('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/report/${enc(eventId)}`, { token: alice.token, raw: '{' })).body.errcode).toBe('M_NOT_JSON');
    expect((await reportEvent(alice, 'nonsense', eventId)).body.errcode).toBe('M_INVALID_PARAM');
    expect((await reportEvent(alice, roomId, 'nonsense')).body.errcode).toBe('M_INVALID_PARAM');
    expect((await reportEvent(undefined, roomId, eventId)).status).toBe(401);
    expect(await reportsBy(alice)).toEqual([]);
  });
});

describe('reporting rooms', () => {
  it('stores reports of known rooms, whether or not the reporter is in them', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const roomId = await createRoom(alice);
    const ok = await reportRoom(bob, roomId, { reason: '' });
    expect(ok.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/rooms/{roomId}/report', 200, ok.body);
    const unknown = await reportRoom(bob, `!unknown:${SERVER_NAME}`);
    expect(unknown.status).toBe(200);
    expect(unknown.body).toEqual({});
    const stored = await reportsBy(bob);
    expect(stored.map((r) => ({ roomId: r.roomId, eventId: r.eventId, reason: r.reason }))).toEqual([{ roomId, eventId: null, reason: '' }]);

    expect((await reportRoom(bob, roomId, {})).body.errcode).toBe('M_BAD_JSON');
    expect((await reportRoom(bob, roomId, { reason: null })).body.errcode).toBe('M_BAD_JSON');
    expect((await reportRoom(bob, 'nonsense')).body.errcode).toBe('M_INVALID_PARAM');
    expect((await reportRoom(undefined, roomId)).status).toBe(401);
  });
});
