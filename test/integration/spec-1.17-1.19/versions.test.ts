// GET /_matrix/client/versions: every spec version the server supports, up to v1.19 (the newest),
// and only those: no r0.x, nothing newer, no duplicates. The v1.17-v1.19 additions each have
// their file in this folder; those of v1.13-v1.16 that /versions depends on are tested here and
// in reports.test.ts (user reports, v1.14) and state-after.test.ts (use_state_after, v1.16).
import { describe, expect, it } from 'vitest';
import { call, registerUser } from '../helpers/client';
import { expectSpec } from '../helpers/spec';

const OP = 'GET /_matrix/client/versions';

describe('/versions', () => {
  it('lists exactly v1.1 to v1.19, with or without a token', async () => {
    const alice = await registerUser();
    for (const token of [undefined, alice.token]) {
      const r = await call('GET', '/_matrix/client/versions', { token });
      expect(r.status).toBe(200);
      expectSpec(OP, 200, r.body);
      expect(r.body.versions).toEqual(Array.from({ length: 19 }, (_, i) => `v1.${i + 1}`));
      expect(r.body.versions).not.toContain('v1.20');
      expect(r.body.versions.some((v: string) => v.startsWith('r0'))).toBe(false);
      for (const [k, v] of Object.entries(r.body.unstable_features ?? {})) expect(typeof v, k).toBe('boolean');
    }
  });

  it('other methods are 405 M_UNRECOGNIZED', async () => {
    const r = await call('POST', '/_matrix/client/versions', { body: {} });
    expect(r.status).toBe(405);
    expect(r.body.errcode).toBe('M_UNRECOGNIZED');
  });

  it('the endpoints and capabilities added in v1.13-v1.19 are served', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const roomId = (await call('POST', '/_matrix/client/v3/createRoom', { token: alice.token, body: {} })).body.room_id;
    // v1.13 room reports, v1.14 user reports, v1.15 room summary, v1.19 mutual rooms: each answers.
    const probes: [string, string, unknown, string][] = [
      ['POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/report`, { reason: 'x' }, 'POST /_matrix/client/v3/rooms/{roomId}/report'],
      ['POST', `/_matrix/client/v3/users/${encodeURIComponent(bob.userId)}/report`, { reason: 'x' }, 'POST /_matrix/client/v3/users/{userId}/report'],
      ['GET', `/_matrix/client/v1/room_summary/${encodeURIComponent(roomId)}`, undefined, 'GET /_matrix/client/v1/room_summary/{roomIdOrAlias}'],
      ['GET', `/_matrix/client/v1/mutual_rooms?user_id=${encodeURIComponent(bob.userId)}`, undefined, 'GET /_matrix/client/v1/mutual_rooms'],
    ];
    for (const [method, path, body, op] of probes) {
      const r = await call(method, path, { token: alice.token, body });
      expect(r.status, `${op}: ${JSON.stringify(r.body)}`).toBe(200);
      expectSpec(op, 200, r.body);
    }
    // v1.16 profile fields and v1.18 forget-on-leave capabilities.
    const caps = await call('GET', '/_matrix/client/v3/capabilities', { token: alice.token });
    expectSpec('GET /_matrix/client/v3/capabilities', 200, caps.body);
    expect(caps.body.capabilities['m.profile_fields']).toBeDefined();
    expect(caps.body.capabilities['m.forget_forced_upon_leave']).toBeDefined();
  });
});
