import { describe, expect, it } from 'vitest';
import { call, registerUser, type TestUser } from '../helpers/client';
import { expectSpec } from '../helpers/spec';

const BASE = '/_matrix/client/v3/pushrules';
const enc = encodeURIComponent;
const rulePath = (kind: string, ruleId: string, attr = '') => `${BASE}/global/${kind}/${enc(ruleId)}${attr ? `/${attr}` : ''}`;

async function ruleset(user: TestUser) {
  const r = await call('GET', `${BASE}/`, { token: user.token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('GET /_matrix/client/v3/pushrules/', 200, r.body);
  return r.body.global;
}

async function put(user: TestUser, kind: string, ruleId: string, body: unknown, query = '') {
  return call('PUT', `${rulePath(kind, ruleId)}${query}`, { token: user.token, body });
}

async function putOk(user: TestUser, kind: string, ruleId: string, body: unknown, query = '') {
  const r = await put(user, kind, ruleId, body, query);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}', 200, r.body);
}

const ids = (rules: { rule_id: string; default: boolean }[]) => rules.filter((r) => !r.default).map((r) => r.rule_id);

describe('GET /pushrules', () => {
  it("serves the v1.19 predefined rules with the user's ID filled in", async () => {
    const alice = await registerUser();
    const global = await ruleset(alice);
    expect(global.override.map((r: any) => r.rule_id)).toEqual([
      '.m.rule.master', '.m.rule.suppress_notices', '.m.rule.invite_for_me', '.m.rule.member_event', '.m.rule.is_user_mention',
      '.m.rule.is_room_mention', '.m.rule.tombstone', '.m.rule.reaction', '.m.rule.room.server_acl', '.m.rule.suppress_edits',
    ]);
    expect(global.underride.map((r: any) => r.rule_id)).toEqual(['.m.rule.call', '.m.rule.encrypted_room_one_to_one', '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.encrypted']);
    expect(global.content).toEqual([]);
    expect(global.room).toEqual([]);
    expect(global.sender).toEqual([]);
    expect(global.override[0]).toEqual({ rule_id: '.m.rule.master', default: true, enabled: false, conditions: [], actions: [] });
    expect(global.override[2].conditions).toContainEqual({ kind: 'event_match', key: 'state_key', pattern: alice.userId });
    expect(global.override[4].conditions).toEqual([{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: alice.userId }]);

    const g = await call('GET', `${BASE}/global/`, { token: alice.token });
    expect(g.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/pushrules/global/', 200, g.body);
    expect(g.body).toEqual(global);
  });

  it('serves one rule, its enabled state and its actions', async () => {
    const alice = await registerUser();
    const r = await call('GET', rulePath('underride', '.m.rule.message'), { token: alice.token });
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}', 200, r.body);
    expect(r.body).toEqual({ rule_id: '.m.rule.message', default: true, enabled: true, conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.room.message' }], actions: ['notify'] });
    const en = await call('GET', rulePath('override', '.m.rule.master', 'enabled'), { token: alice.token });
    expectSpec('GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled', 200, en.body);
    expect(en.body).toEqual({ enabled: false });
    const ac = await call('GET', rulePath('underride', '.m.rule.call', 'actions'), { token: alice.token });
    expectSpec('GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions', 200, ac.body);
    expect(ac.body).toEqual({ actions: ['notify', { set_tweak: 'sound', value: 'ring' }] });
  });

  it('answers 404 M_NOT_FOUND for unknown rules, 400 for unknown kinds, 401 without a token', async () => {
    const alice = await registerUser();
    for (const path of [rulePath('override', 'nope'), rulePath('underride', '.m.rule.master'), rulePath('content', 'nope', 'enabled'), rulePath('room', '!x:y', 'actions')]) {
      const r = await call('GET', path, { token: alice.token });
      expect(r.status, path).toBe(404);
      expect(r.body.errcode).toBe('M_NOT_FOUND');
    }
    const kind = await call('GET', rulePath('global', 'x'), { token: alice.token });
    expect(kind.status).toBe(400);
    expect(kind.body.errcode).toBe('M_INVALID_PARAM');
    const anon = await call('GET', `${BASE}/`);
    expect(anon.status).toBe(401);
    expect(anon.body.errcode).toBe('M_MISSING_TOKEN');
  });

  it('is not available to guests', async () => {
    const vars = { GUEST_ACCESS: 'on' };
    const guest = await call('POST', '/_matrix/client/v3/register?kind=guest', { body: {}, vars });
    expect(guest.status).toBe(200);
    const r = await call('GET', `${BASE}/`, { token: guest.body.access_token, vars });
    expect(r.status).toBe(403);
    expect(r.body.errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');
  });
});

describe('PUT /pushrules/global/{kind}/{ruleId}', () => {
  it('creates rules of each kind, enabled, default false, with their kind-specific fields', async () => {
    const alice = await registerUser();
    await putOk(alice, 'content', 'nocake', { pattern: 'cake*lie', actions: ['notify'], conditions: [{ kind: 'event_match', key: 'x', pattern: 'y' }] });
    await putOk(alice, 'override', 'beer', { conditions: [{ kind: 'event_match', key: 'content.body', pattern: 'beer' }, { kind: 'room_member_count', is: '<=10' }], actions: ['notify', { set_tweak: 'sound', value: 'beeroclock.wav' }] });
    await putOk(alice, 'room', '!dj234r78wl45Gh4D:matrix.org', { actions: [] });
    await putOk(alice, 'sender', '@spambot:matrix.org', { actions: [], pattern: 'ignored' });
    await putOk(alice, 'underride', 'always', { actions: ['notify'] });
    const global = await ruleset(alice);
    expect(global.content).toEqual([{ rule_id: 'nocake', default: false, enabled: true, pattern: 'cake*lie', actions: ['notify'] }]);
    expect(global.override[0].rule_id).toBe('.m.rule.master');
    expect(global.override[1]).toEqual({
      rule_id: 'beer', default: false, enabled: true,
      conditions: [{ kind: 'event_match', key: 'content.body', pattern: 'beer' }, { kind: 'room_member_count', is: '<=10' }],
      actions: ['notify', { set_tweak: 'sound', value: 'beeroclock.wav' }],
    });
    expect(global.room).toEqual([{ rule_id: '!dj234r78wl45Gh4D:matrix.org', default: false, enabled: true, actions: [] }]);
    expect(global.sender).toEqual([{ rule_id: '@spambot:matrix.org', default: false, enabled: true, actions: [] }]);
    expect(global.underride[0]).toEqual({ rule_id: 'always', default: false, enabled: true, conditions: [], actions: ['notify'] });
  });

  it('places new rules first, honours before and after, keeps the place of updated rules', async () => {
    const alice = await registerUser();
    const rule = { pattern: 'x', actions: ['notify'] };
    await putOk(alice, 'content', 'a', rule);
    await putOk(alice, 'content', 'b', rule);
    expect(ids((await ruleset(alice)).content)).toEqual(['b', 'a']);
    await putOk(alice, 'content', 'c', rule, '?after=b');
    expect(ids((await ruleset(alice)).content)).toEqual(['b', 'c', 'a']);
    await putOk(alice, 'content', 'd', rule, '?before=a');
    expect(ids((await ruleset(alice)).content)).toEqual(['b', 'c', 'd', 'a']);
    // before wins over after.
    await putOk(alice, 'content', 'e', rule, '?before=c&after=a');
    expect(ids((await ruleset(alice)).content)).toEqual(['b', 'e', 'c', 'd', 'a']);
    // Moving an existing rule.
    await putOk(alice, 'content', 'a', rule, '?before=b');
    expect(ids((await ruleset(alice)).content)).toEqual(['a', 'b', 'e', 'c', 'd']);
    // Updating in place keeps the place and the enabled state.
    expect((await call('PUT', rulePath('content', 'c', 'enabled'), { token: alice.token, body: { enabled: false } })).status).toBe(200);
    await putOk(alice, 'content', 'c', { pattern: 'new', actions: [] });
    const content = (await ruleset(alice)).content;
    expect(ids(content)).toEqual(['a', 'b', 'e', 'c', 'd']);
    expect(content[3]).toEqual({ rule_id: 'c', default: false, enabled: false, pattern: 'new', actions: [] });
  });

  it('refuses unknown before/after rules (400 M_NOT_FOUND) and predefined anchors (400 M_INVALID_PARAM)', async () => {
    const alice = await registerUser();
    await putOk(alice, 'override', 'mine', { actions: [] });
    const unknown = await put(alice, 'override', 'x', { actions: [] }, '?before=nope');
    expect(unknown.status).toBe(400);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
    const otherKind = await put(alice, 'underride', 'x', { actions: [] }, '?after=mine');
    expect(otherKind.status).toBe(400);
    expect(otherKind.body.errcode).toBe('M_NOT_FOUND');
    const predefined = await put(alice, 'underride', 'x', { actions: [] }, '?before=.m.rule.message');
    expect(predefined.status).toBe(400);
    expect(predefined.body.errcode).toBe('M_INVALID_PARAM');
    const self = await put(alice, 'override', 'mine', { actions: [] }, '?after=mine');
    expect(self.status).toBe(400);
    // Nothing was created.
    expect(ids((await ruleset(alice)).override)).toEqual(['mine']);
    expect(ids((await ruleset(alice)).underride)).toEqual([]);
  });

  it('refuses server-default ids, slashes, ids of the wrong form and unknown kinds', async () => {
    const alice = await registerUser();
    const cases: [string, string, unknown, number, string][] = [
      ['override', '.m.rule.master', { actions: [] }, 400, 'M_INVALID_PARAM'],
      ['content', '.mine', { pattern: 'x', actions: [] }, 400, 'M_INVALID_PARAM'],
      ['content', 'a/b', { pattern: 'x', actions: [] }, 400, 'M_INVALID_PARAM'],
      ['content', 'a\\b', { pattern: 'x', actions: [] }, 400, 'M_INVALID_PARAM'],
      ['room', 'not-a-room', { actions: [] }, 400, 'M_INVALID_PARAM'],
      ['sender', 'not-a-user', { actions: [] }, 400, 'M_INVALID_PARAM'],
      ['postcontent', 'x', { actions: [] }, 400, 'M_INVALID_PARAM'],
    ];
    for (const [kind, id, body, status, errcode] of cases) {
      const r = await put(alice, kind, id, body);
      expect([r.status, r.body.errcode], `${kind}/${id}`).toEqual([status, errcode]);
    }
  });

  it('refuses bodies without actions or pattern, and malformed actions and conditions', async () => {
    const alice = await registerUser();
    const cases: [string, unknown, string][] = [
      ['content', { actions: ['notify'] }, 'M_MISSING_PARAM'],
      ['content', { pattern: 7, actions: [] }, 'M_BAD_JSON'],
      ['override', { conditions: [] }, 'M_MISSING_PARAM'],
      ['override', { actions: 'notify' }, 'M_BAD_JSON'],
      ['override', { actions: ['explode'] }, 'M_INVALID_PARAM'],
      ['override', { actions: [{ value: 1 }] }, 'M_BAD_JSON'],
      ['override', { actions: [], conditions: {} }, 'M_BAD_JSON'],
      ['override', { actions: [], conditions: [{ key: 'type' }] }, 'M_BAD_JSON'],
      ['underride', { actions: [], conditions: [{ kind: 'event_match', key: 'type' }] }, 'M_BAD_JSON'],
      ['underride', { actions: [], conditions: [{ kind: 'room_member_count', is: 'lots' }] }, 'M_BAD_JSON'],
      ['underride', { actions: [], conditions: [{ kind: 'event_property_is', key: 'content.x', value: { a: 1 } }] }, 'M_BAD_JSON'],
      ['underride', { actions: [{ set_tweak: 'sound', value: 'a\u0000' }] }, 'M_BAD_JSON'],
    ];
    for (const [kind, body, errcode] of cases) {
      const r = await put(alice, kind, 'bad', body);
      expect([r.status, r.body.errcode], JSON.stringify(body)).toEqual([400, errcode]);
    }
    const notJson = await call('PUT', rulePath('override', 'bad'), { token: alice.token, raw: '{nope' });
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
    expect(ids((await ruleset(alice)).override)).toEqual([]);
  });

  it('keeps conditions of unknown kinds, which never match', async () => {
    const alice = await registerUser();
    await putOk(alice, 'override', 'future', { actions: ['notify'], conditions: [{ kind: 'org.example.future', param: [1, 2] }] });
    expect((await ruleset(alice)).override[1].conditions).toEqual([{ kind: 'org.example.future', param: [1, 2] }]);
  });

  it('treats rule IDs as unique within their kind only', async () => {
    const alice = await registerUser();
    await putOk(alice, 'override', 'same', { actions: ['notify'] });
    await putOk(alice, 'underride', 'same', { actions: [] });
    await putOk(alice, 'content', 'same', { pattern: 'p', actions: [] });
    expect((await call('DELETE', rulePath('override', 'same'), { token: alice.token })).status).toBe(200);
    const global = await ruleset(alice);
    expect(ids(global.override)).toEqual([]);
    expect(ids(global.underride)).toEqual(['same']);
    expect(ids(global.content)).toEqual(['same']);
  });
});

describe('DELETE /pushrules/global/{kind}/{ruleId}', () => {
  it('deletes user rules; refuses predefined ones; 404 for unknown ones', async () => {
    const alice = await registerUser();
    await putOk(alice, 'sender', '@spam:example.org', { actions: [] });
    const del = await call('DELETE', rulePath('sender', '@spam:example.org'), { token: alice.token });
    expect(del.status).toBe(200);
    expectSpec('DELETE /_matrix/client/v3/pushrules/global/{kind}/{ruleId}', 200, del.body);
    expect((await call('GET', rulePath('sender', '@spam:example.org'), { token: alice.token })).status).toBe(404);
    const again = await call('DELETE', rulePath('sender', '@spam:example.org'), { token: alice.token });
    expect([again.status, again.body.errcode]).toEqual([404, 'M_NOT_FOUND']);
    const predefined = await call('DELETE', rulePath('override', '.m.rule.master'), { token: alice.token });
    expect([predefined.status, predefined.body.errcode]).toEqual([400, 'M_INVALID_PARAM']);
    expect((await ruleset(alice)).override[0].rule_id).toBe('.m.rule.master');
  });
});

describe('enabled and actions', () => {
  it('changes predefined rules, which stay default: true', async () => {
    const alice = await registerUser();
    const en = await call('PUT', rulePath('override', '.m.rule.master', 'enabled'), { token: alice.token, body: { enabled: true } });
    expect(en.status).toBe(200);
    expectSpec('PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled', 200, en.body);
    const ac = await call('PUT', rulePath('underride', '.m.rule.message', 'actions'), { token: alice.token, body: { actions: ['notify', { set_tweak: 'highlight', value: false }] } });
    expect(ac.status).toBe(200);
    expectSpec('PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions', 200, ac.body);
    // Changing one attribute keeps the other.
    expect((await call('PUT', rulePath('underride', '.m.rule.message', 'enabled'), { token: alice.token, body: { enabled: false } })).status).toBe(200);
    const global = await ruleset(alice);
    expect(global.override[0]).toMatchObject({ rule_id: '.m.rule.master', default: true, enabled: true });
    expect(global.underride.find((r: any) => r.rule_id === '.m.rule.message')).toEqual({
      rule_id: '.m.rule.message', default: true, enabled: false,
      conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.room.message' }],
      actions: ['notify', { set_tweak: 'highlight', value: false }],
    });
    expect((await call('GET', rulePath('override', '.m.rule.master', 'enabled'), { token: alice.token })).body).toEqual({ enabled: true });
  });

  it('changes user rules', async () => {
    const alice = await registerUser();
    await putOk(alice, 'room', '!r:example.org', { actions: ['notify'] });
    expect((await call('PUT', rulePath('room', '!r:example.org', 'enabled'), { token: alice.token, body: { enabled: false } })).status).toBe(200);
    expect((await call('PUT', rulePath('room', '!r:example.org', 'actions'), { token: alice.token, body: { actions: [] } })).status).toBe(200);
    expect((await ruleset(alice)).room).toEqual([{ rule_id: '!r:example.org', default: false, enabled: false, actions: [] }]);
    // The historical dont_notify is accepted and dropped: it means no actions.
    expect((await call('PUT', rulePath('room', '!r:example.org', 'actions'), { token: alice.token, body: { actions: ['dont_notify'] } })).status).toBe(200);
    expect((await call('GET', rulePath('room', '!r:example.org', 'actions'), { token: alice.token })).body).toEqual({ actions: [] });
  });

  it('answers 404 for unknown rules and 400 for malformed bodies', async () => {
    const alice = await registerUser();
    for (const [path, body] of [[rulePath('room', '!nope:x', 'enabled'), { enabled: true }], [rulePath('override', '.m.rule.nope', 'actions'), { actions: [] }], [rulePath('content', '.m.rule.master', 'enabled'), { enabled: true }]] as const) {
      const r = await call('PUT', path, { token: alice.token, body });
      expect([r.status, r.body.errcode], path).toEqual([404, 'M_NOT_FOUND']);
    }
    const cases: [string, unknown, string][] = [
      [rulePath('override', '.m.rule.master', 'enabled'), {}, 'M_MISSING_PARAM'],
      [rulePath('override', '.m.rule.master', 'enabled'), { enabled: 'yes' }, 'M_BAD_JSON'],
      [rulePath('override', '.m.rule.master', 'actions'), {}, 'M_MISSING_PARAM'],
      [rulePath('override', '.m.rule.master', 'actions'), { actions: ['loud'] }, 'M_INVALID_PARAM'],
    ];
    for (const [path, body, errcode] of cases) {
      const r = await call('PUT', path, { token: alice.token, body });
      expect([r.status, r.body.errcode], JSON.stringify(body)).toEqual([400, errcode]);
    }
    expect((await ruleset(alice)).override[0].enabled).toBe(false);
  });
});

describe('m.push_rules account data', () => {
  it('is rewritten after each change, with the whole ruleset, and cannot be set by clients', async () => {
    const alice = await registerUser();
    const path = `/_matrix/client/v3/user/${enc(alice.userId)}/account_data/m.push_rules`;
    await putOk(alice, 'content', 'kw', { pattern: 'kw', actions: ['notify'] });
    let ad = await call('GET', path, { token: alice.token });
    expect(ad.status).toBe(200);
    expect(ad.body).toEqual({ global: await ruleset(alice) });
    expect((await call('PUT', rulePath('override', '.m.rule.master', 'enabled'), { token: alice.token, body: { enabled: true } })).status).toBe(200);
    ad = await call('GET', path, { token: alice.token });
    expect(ad.body.global.override[0].enabled).toBe(true);
    expect((await call('DELETE', rulePath('content', 'kw'), { token: alice.token })).status).toBe(200);
    ad = await call('GET', path, { token: alice.token });
    expect(ad.body.global.content).toEqual([]);
    const put = await call('PUT', path, { token: alice.token, body: { global: {} } });
    expect(put.status).toBeGreaterThanOrEqual(400);
  });

  it('reaches the user\'s other devices through /sync', async () => {
    const alice = await registerUser();
    const first = await call('GET', '/_matrix/client/v3/sync', { token: alice.token });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    await putOk(alice, 'content', 'sync', { pattern: 'sync', actions: ['notify'] });
    const next = await call('GET', `/_matrix/client/v3/sync?since=${enc(first.body.next_batch)}&timeout=0`, { token: alice.token });
    expect(next.status).toBe(200);
    const event = next.body.account_data?.events?.find((e: any) => e.type === 'm.push_rules');
    expect(event?.content.global.content).toEqual([{ rule_id: 'sync', default: false, enabled: true, pattern: 'sync', actions: ['notify'] }]);
  });
});
