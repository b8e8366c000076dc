// Send-to-device messaging (spec: "Send-to-Device messaging"): PUT /sendToDevice/{eventType}/{txnId}.
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAuth } from '../../http/auth';
import { body } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { ErrCode, MatrixError, invalidParam } from '../../http/errors';
import { canonicalJson } from '../../matrix/canonical-json';
import { checkUserId, serverNameOf } from '../../matrix/ids';
import { sendToDevice, type DeviceMessages } from '../../services/e2ee/to-device';
import type { ServerMessages } from '../../services/federation/to-device';

export const toDevice = new Hono<AppEnv>();

/** As Synapse: one message must fit in a federation EDU. */
const MAX_MESSAGE_BYTES = 65536;
const encoder = new TextEncoder();

const sendBody = z.object({
  messages: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))),
});

toDevice.put('/sendToDevice/:eventType/:txnId', requireAuth({ allowGuests: true }), async (c) => {
  const r = c.get('requester');
  const type = c.req.param('eventType');
  if (type.length === 0 || type.length > 255) throw invalidParam('Invalid event type');
  const req = await body(c, sendBody);
  const own = c.get('config').serverName;
  const local = new Map<string, DeviceMessages>();
  const remote = new Map<string, ServerMessages>();
  for (const [userId, byDevice] of Object.entries(req.messages)) {
    const reason = checkUserId(userId);
    if (reason !== null) throw invalidParam(`Invalid user id '${userId}': ${reason}`);
    for (const [deviceId, content] of Object.entries(byDevice)) {
      let bytes: number;
      try {
        bytes = encoder.encode(canonicalJson(content)).byteLength;
      } catch {
        throw new MatrixError(400, ErrCode.BAD_JSON, `The message for ${userId} ${deviceId} is not valid canonical JSON`);
      }
      if (bytes > MAX_MESSAGE_BYTES) throw new MatrixError(413, ErrCode.TOO_LARGE, `The message for ${userId} ${deviceId} is larger than ${MAX_MESSAGE_BYTES} bytes`);
      // Stored as jsonb, which cannot hold a NUL character.
      if (JSON.stringify(content).includes('\\u0000')) throw new MatrixError(400, ErrCode.BAD_JSON, 'Messages cannot contain U+0000');
    }
    if (Object.keys(byDevice).length === 0) continue;
    const server = serverNameOf(userId)!;
    if (server === own) local.set(userId, Object.entries(byDevice));
    else {
      let forServer = remote.get(server);
      if (!forServer) remote.set(server, (forServer = {}));
      forServer[userId] = byDevice as Record<string, Record<string, unknown>>;
    }
  }
  await sendToDevice(c.env, r, type, c.req.param('txnId'), local, remote);
  return c.json({});
});
