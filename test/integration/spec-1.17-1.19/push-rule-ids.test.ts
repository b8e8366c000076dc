// Push rule ids are unique within their kind (v1.17 clarification): the same id may exist once
// per kind, each rule with its own place, enabled state and actions; a second PUT with the same
// kind and id replaces the rule; before/after name rules of the same kind only.
import { describe, expect, it } from 'vitest';
import { call, registerUser, type Reply, type TestUser } from '../helpers/client';
import { enc } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const BASE = '/_matrix/client/v3/pushrules';
const path = (kind: string, ruleId: string, rest = '') => `${BASE}/global/${kind}/${enc(ruleId)}${rest}`;
const put = (u: TestUser, kind: string, ruleId: string, body: unknown, query = '') => call('PUT', `${path(kind, ruleId)}${query}`, { token: u.token, body });

function ok(r: Reply, operation: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec(operation, 200, r.body);
}

async function userRules(u: TestUser): Promise<Record<string, { rule_id: string; default: boolean; actions: unknown[]; enabled: boolean }[]>> {
  const r = await call('GET', `${BASE}/`, { token: u.token });
  ok(r, 'GET /_matrix/client/v3/pushrules/');
  const g = r.body.global;
  return Object.fromEntries(Object.entries(g).map(([k, rules]) => [k, (rules as { default: boolean }[]).filter((x) => !x.default)])) as never;
}

describe('push rule ids', () => {
  it('the same id as override and underride: two independent rules', async () => {
    const alice = await registerUser();
    ok(await put(alice, 'override', 'dup', { actions: ['notify'], conditions: [{ kind: 'event_match', key: 'type', pattern: 'org.a' }] }), 'PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}');
    ok(await put(alice, 'underride', 'dup', { actions: [], conditions: [{ kind: 'event_match', key: 'type', pattern: 'org.b' }] }), 'PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}');
    ok(await call('PUT', path('underride', 'dup', '/enabled'), { token: alice.token, body: { enabled: false } }), 'PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled');

    const o = await call('GET', path('override', 'dup'), { token: alice.token });
    ok(o, 'GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}');
    expect(o.body).toMatchObject({ rule_id: 'dup', enabled: true, actions: ['notify'], conditions: [{ pattern: 'org.a' }] });
    const u = await call('GET', path('underride', 'dup'), { token: alice.token });
    expect(u.body).toMatchObject({ rule_id: 'dup', enabled: false, actions: [], conditions: [{ pattern: 'org.b' }] });

    // Replacing within a kind keeps one rule of that id there.
    ok(await put(alice, 'override', 'dup', { actions: [], conditions: [] }), 'PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}');
    const rules = await userRules(alice);
    expect(rules.override.map((r) => r.rule_id)).toEqual(['dup']);
    expect(rules.underride.map((r) => r.rule_id)).toEqual(['dup']);
    expect(rules.override[0].actions).toEqual([]);

    // Deleting one leaves the other.
    ok(await call('DELETE', path('underride', 'dup'), { token: alice.token }), 'DELETE /_matrix/client/v3/pushrules/global/{kind}/{ruleId}');
    const after = await userRules(alice);
    expect(after.override.map((r) => r.rule_id)).toEqual(['dup']);
    expect(after.underride).toEqual([]);
    const gone = await call('GET', path('underride', 'dup'), { token: alice.token });
    expect(gone.status).toBe(404);
    expect(gone.body.errcode).toBe('M_NOT_FOUND');
  });

  it('before/after name a rule of the same kind: one only in another kind is refused', async () => {
    const alice = await registerUser();
    ok(await put(alice, 'override', 'anchor', { actions: [] }), 'PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}');
    const r = await put(alice, 'underride', 'new', { actions: [] }, '?before=anchor');
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.errcode).toBe('M_NOT_FOUND');
    ok(await put(alice, 'override', 'new', { actions: [] }, '?before=anchor'), 'PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}');
    expect((await userRules(alice)).override.map((x) => x.rule_id)).toEqual(['new', 'anchor']);
    expect((await userRules(alice)).underride).toEqual([]);
  });

  it('a predefined id is taken in its own kind only; user ids may not look predefined', async () => {
    const alice = await registerUser();
    // ".m.rule.message" is a predefined underride rule: predefined ids start with a dot, user ones may not.
    const r = await put(alice, 'override', '.m.rule.message', { actions: [] });
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(r.body.errcode).toBe('M_INVALID_PARAM');
    const missing = await call('GET', path('override', '.m.rule.message'), { token: alice.token });
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe('M_NOT_FOUND');
    ok(await call('GET', path('underride', '.m.rule.message'), { token: alice.token }), 'GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}');
  });
});
