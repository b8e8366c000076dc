// Server keys (spec: server-server "Retrieving server keys"): GET /_matrix/key/v2/server publishes
// ours; GET /_matrix/key/v2/query/{serverName} and POST /_matrix/key/v2/query answer as a notary.
// None of them is authenticated: keys are what authentication is checked with.
import { Hono } from 'hono';
import { z } from 'zod';
import { httpDb } from '../../db/client';
import { body } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { checkServerName } from '../../matrix/ids';
import { ownKeyDocument, notaryQuery } from '../../services/federation/notary';

/** Servers one POST may ask about: each may cost us a fetch. */
const MAX_SERVERS = 100;

export const keys = new Hono<AppEnv>();

keys.get('/_matrix/key/v2/server', async (c) => c.json(await ownKeyDocument(c.env, c.get('config'))));

function serverName(name: string): string {
  const reason = checkServerName(name);
  if (reason !== null) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid server name ${name}: ${reason}`);
  return name;
}

function timestamp(value: string | undefined): number {
  if (value === undefined) return Date.now();
  if (!/^\d{1,15}$/.test(value)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'minimum_valid_until_ts must be a non-negative integer');
  return Number(value);
}

keys.get('/_matrix/key/v2/query/:serverName', async (c) => {
  const wanted = new Map([[serverName(c.req.param('serverName')), timestamp(c.req.query('minimum_valid_until_ts'))]]);
  return c.json({ server_keys: await notaryQuery(c.env, httpDb(c.env), c.get('config'), wanted) });
});

const criteria = z.object({ minimum_valid_until_ts: z.number().int().nonnegative().optional() }).passthrough();
const queryBody = z.object({ server_keys: z.record(z.string(), z.record(z.string(), criteria)) }).passthrough();

keys.post('/_matrix/key/v2/query', async (c) => {
  const req = await body(c, queryBody);
  const servers = Object.entries(req.server_keys);
  if (servers.length > MAX_SERVERS) throw new MatrixError(400, ErrCode.INVALID_PARAM, `At most ${MAX_SERVERS} servers per query`);
  const now = Date.now();
  const wanted = new Map<string, number>();
  for (const [name, byKey] of servers) {
    // Keys valid until the latest time any of the asked key ids needs (now when none says).
    const times = Object.values(byKey).map((k) => k.minimum_valid_until_ts ?? now);
    wanted.set(serverName(name), times.length ? Math.max(...times) : now);
  }
  return c.json({ server_keys: await notaryQuery(c.env, httpDb(c.env), c.get('config'), wanted) });
});
