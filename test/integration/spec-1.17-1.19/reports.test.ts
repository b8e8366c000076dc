// Reporting content as of v1.18 (MSC4277) and v1.14 (MSC4260): `score` is gone (a client that
// still sends one is not refused, and it is not kept), and the server answers 200 for subjects
// that do not exist or that the reporter cannot see, after the same work, so that a report
// reveals nothing. What is stored is only what is admissible.
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { reports, userReports } from '../../../src/db/schema';
import { call, registerUser, SERVER_NAME, type Reply, type TestUser } from '../helpers/client';
import { createRoom, enc, join, roomPath, sendOk, v3 } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { db } from './helpers';

const EVENT = 'POST /_matrix/client/v3/rooms/{roomId}/report/{eventId}';
const ROOM = 'POST /_matrix/client/v3/rooms/{roomId}/report';
const USER = 'POST /_matrix/client/v3/users/{userId}/report';

const reportEvent = (u: { token?: string }, roomId: string, eventId: string, body: unknown) => call('POST', roomPath(roomId, `/report/${enc(eventId)}`), { token: u.token, body });
const reportRoom = (u: { token?: string }, roomId: string, body: unknown) => call('POST', roomPath(roomId, '/report'), { token: u.token, body });
const reportUser = (u: { token?: string }, userId: string, body: unknown) => call('POST', v3(`/users/${enc(userId)}/report`), { token: u.token, body });

function ok(r: Reply, operation: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec(operation, 200, r.body);
  expect(r.body).toEqual({});
}

function refused(r: Reply, status: number, errcode: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body.errcode).toBe(errcode);
  expect(typeof r.body.error).toBe('string');
}

const reportsBy = (reporter: TestUser) => db().select().from(reports).where(eq(reports.reporter, reporter.userId));
const userReportsBy = (reporter: TestUser) => db().select().from(userReports).where(eq(userReports.reporter, reporter.userId));

describe('reports (v1.18)', () => {
  it('an event report with a legacy score is accepted, and the score is not kept', async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const eventId = await sendOk(alice, roomId);
    ok(await reportEvent(bob, roomId, eventId, { reason: 'spam', score: -100 }), EVENT);
    ok(await reportEvent(bob, roomId, eventId, { score: 'not even a number' }), EVENT);
    ok(await reportEvent(bob, roomId, eventId, {}), EVENT); // reason may be omitted (v1.13)
    const rows = await reportsBy(bob);
    expect(rows.map((r) => [r.eventId, r.reason])).toEqual([[eventId, 'spam'], [eventId, null], [eventId, null]]);
    expect(Object.keys(rows[0])).not.toContain('score');
  });

  it('unknown or invisible subjects are answered exactly like real ones, and nothing is stored', async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    const roomId = await createRoom(alice); // private: bob is not in it
    const eventId = await sendOk(alice, roomId);
    const unknownRoom = `!nowhere${Date.now()}:${SERVER_NAME}`;
    const unknownEvent = `$${'u'.repeat(43)}`;
    const answers = [
      await reportEvent(bob, roomId, eventId, { reason: 'cannot see it' }),
      await reportEvent(bob, roomId, unknownEvent, { reason: 'no such event' }),
      await reportEvent(bob, unknownRoom, unknownEvent, { reason: 'no such room' }),
    ];
    for (const r of answers) ok(r, EVENT);
    ok(await reportRoom(bob, unknownRoom, { reason: 'no such room' }), ROOM);
    expect(await reportsBy(bob)).toEqual([]);
    // Responses carry nothing that differs (no header, no body) between the cases.
    expect(new Set(answers.map((r) => JSON.stringify([r.status, r.body, r.headers.get('content-length')]))).size).toBe(1);
    // The room exists: reporting it is stored whether or not the reporter is in it.
    ok(await reportRoom(bob, roomId, { reason: 'bad room' }), ROOM);
    expect((await reportsBy(bob)).map((r) => [r.roomId, r.eventId, r.reason])).toEqual([[roomId, null, 'bad room']]);
  });

  it('malformed reports are refused with Matrix errors', async () => {
    const bob = await registerUser();
    const roomId = await createRoom(bob);
    const eventId = await sendOk(bob, roomId);
    refused(await reportEvent(bob, roomId, eventId, { reason: 7 }), 400, 'M_BAD_JSON');
    refused(await call('POST', roomPath(roomId, `/report/${enc(eventId)}`), { token: bob.token, raw: 'nope' }), 400, 'M_NOT_JSON');
    refused(await reportEvent(bob, 'not-a-room', eventId, { reason: 'x' }), 400, 'M_INVALID_PARAM');
    refused(await reportEvent(bob, roomId, 'not-an-event', { reason: 'x' }), 400, 'M_INVALID_PARAM');
    refused(await reportRoom(bob, roomId, {}), 400, 'M_BAD_JSON'); // reason is required for rooms
    refused(await reportEvent({}, roomId, eventId, { reason: 'x' }), 401, 'M_MISSING_TOKEN');
  });
});

describe('reporting users (v1.14)', () => {
  it('stores reports of known users and answers unknown ones alike', async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    ok(await reportUser(bob, alice.userId, { reason: 'rude', score: 5 }), USER);
    ok(await reportUser(bob, alice.userId, { reason: '' }), USER); // "May be blank."
    const unknown = [`@nobody-${Date.now()}:${SERVER_NAME}`, '@someone:elsewhere.example'];
    const answers = await Promise.all(unknown.map((u) => reportUser(bob, u, { reason: 'who?' })));
    for (const r of answers) ok(r, USER);
    expect((await userReportsBy(bob)).map((r) => [r.userId, r.reason])).toEqual([[alice.userId, 'rude'], [alice.userId, '']]);
  });

  it('refuses a malformed user id or body, and anonymous requests', async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    refused(await reportUser(bob, 'alice', { reason: 'x' }), 400, 'M_INVALID_PARAM');
    refused(await reportUser(bob, '@alice', { reason: 'x' }), 400, 'M_INVALID_PARAM');
    refused(await reportUser(bob, alice.userId, {}), 400, 'M_BAD_JSON');
    refused(await reportUser(bob, alice.userId, { reason: null }), 400, 'M_BAD_JSON');
    refused(await reportUser(bob, alice.userId, { reason: 'a\u0000b' }), 400, 'M_BAD_JSON');
    refused(await call('POST', v3(`/users/${enc(alice.userId)}/report`), { token: bob.token, raw: '[' }), 400, 'M_NOT_JSON');
    refused(await reportUser({}, alice.userId, { reason: 'x' }), 401, 'M_MISSING_TOKEN');
    expect(await userReportsBy(bob)).toEqual([]);
  });
});
