// Push rules API (spec: client-server "Push Rules: API"). Rules live with the user's object, which
// publishes every change to the user's devices as m.push_rules account data.
import { Hono } from 'hono';
import { requireAuth, userObject } from '../../http/auth';
import { jsonObject } from '../../http/body';
import type { AppEnv, Ctx } from '../../http/context';
import { invalidParam } from '../../http/errors';
import { checkNewRuleId, isPushRuleKind, parseActions, parseEnabled, parseNewRule, type PushRuleKind } from '../../matrix/push-rules';
import { ruleIn } from '../../services/push/rules';

export const pushRules = new Hono<AppEnv>();

function target(c: Ctx): { userId: string; kind: PushRuleKind; ruleId: string } {
  const kind = c.req.param('kind')!;
  if (!isPushRuleKind(kind)) throw invalidParam(`Unknown push rule kind: ${kind}`);
  return { userId: c.get('requester').userId, kind, ruleId: c.req.param('ruleId')! };
}

/** `before`/`after` query parameters; empty ones count as absent. */
function placement(c: Ctx): { before?: string; after?: string } {
  const out: { before?: string; after?: string } = {};
  const before = c.req.query('before');
  const after = c.req.query('after');
  if (before) out.before = before;
  if (after) out.after = after;
  return out;
}

pushRules.get('/pushrules/', requireAuth(), async (c) => {
  const { userId } = c.get('requester');
  return c.json({ global: await userObject(c.env, userId).getPushRules(userId) });
});

pushRules.get('/pushrules/global/', requireAuth(), async (c) => {
  const { userId } = c.get('requester');
  return c.json(await userObject(c.env, userId).getPushRules(userId));
});

pushRules.get('/pushrules/global/:kind/:ruleId', requireAuth(), async (c) => {
  const { userId, kind, ruleId } = target(c);
  return c.json(ruleIn(await userObject(c.env, userId).getPushRules(userId), kind, ruleId));
});

pushRules.put('/pushrules/global/:kind/:ruleId', requireAuth(), async (c) => {
  const { userId, kind, ruleId } = target(c);
  checkNewRuleId(kind, ruleId);
  const rule = parseNewRule(kind, await jsonObject(c));
  await userObject(c.env, userId).putPushRule(userId, kind, ruleId, rule, placement(c));
  return c.json({});
});

pushRules.delete('/pushrules/global/:kind/:ruleId', requireAuth(), async (c) => {
  const { userId, kind, ruleId } = target(c);
  await userObject(c.env, userId).deletePushRule(userId, kind, ruleId);
  return c.json({});
});

pushRules.get('/pushrules/global/:kind/:ruleId/enabled', requireAuth(), async (c) => {
  const { userId, kind, ruleId } = target(c);
  return c.json({ enabled: ruleIn(await userObject(c.env, userId).getPushRules(userId), kind, ruleId).enabled });
});

pushRules.put('/pushrules/global/:kind/:ruleId/enabled', requireAuth(), async (c) => {
  const { userId, kind, ruleId } = target(c);
  const enabled = parseEnabled(await jsonObject(c));
  await userObject(c.env, userId).setPushRuleAttribute(userId, kind, ruleId, { enabled });
  return c.json({});
});

pushRules.get('/pushrules/global/:kind/:ruleId/actions', requireAuth(), async (c) => {
  const { userId, kind, ruleId } = target(c);
  return c.json({ actions: ruleIn(await userObject(c.env, userId).getPushRules(userId), kind, ruleId).actions });
});

pushRules.put('/pushrules/global/:kind/:ruleId/actions', requireAuth(), async (c) => {
  const { userId, kind, ruleId } = target(c);
  const actions = parseActions((await jsonObject(c)).actions);
  await userObject(c.env, userId).setPushRuleAttribute(userId, kind, ruleId, { actions });
  return c.json({});
});
