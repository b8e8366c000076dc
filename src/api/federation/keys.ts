// GET /_matrix/key/v2/server (spec: Server-Server "Publishing Keys").
import { Hono } from 'hono';
import type { AppEnv } from '../../http/context';
import { signJson } from '../../matrix/signing';
import { serverSigningKey } from '../../services/federation/server-key';

/** How long other servers may cache our key response; Synapse publishes a day. */
const VALIDITY_MS = 24 * 60 * 60 * 1000;

export const keys = new Hono<AppEnv>();

keys.get('/_matrix/key/v2/server', async (c) => {
  const serverName = c.get('config').serverName;
  const key = await serverSigningKey(c.env);
  const doc = {
    server_name: serverName,
    verify_keys: { [key.keyId]: { key: key.publicKeyBase64 } },
    old_verify_keys: {},
    valid_until_ts: Date.now() + VALIDITY_MS,
  };
  return c.json(await signJson(doc, serverName, key));
});
