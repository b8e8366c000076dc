// Send-to-device messaging over federation (spec: server-server "Send-to-device messaging", the
// m.direct_to_device EDU). Out: one EDU per server with the messages for its users; its message_id
// is derived from the sender's device and transaction id, so a retried client request carries the
// same id. In: messages for our users are delivered like local ones; a message_id already seen
// from the same sender is not delivered again.
import type { Env } from '../../config';
import type { Db } from '../../db/client';
import { claimToDeviceTxn, releaseToDeviceTxn } from '../../db/queries/e2ee';
import { userObject } from '../../http/auth';
import { encodeBase64Url } from '../../matrix/base64';
import { serverNameOf } from '../../matrix/ids';
import { sha256 } from '../../matrix/hashes';
import { sendToServers } from './outbound';

/** Messages for one server's users: user → device (or `*`) → content. */
export type ServerMessages = Record<string, Record<string, Record<string, unknown>>>;

/** The device id under which remote senders' message ids are remembered (no local device has it). */
const FEDERATION_DEVICE = '';

async function messageId(sender: { userId: string; deviceId: string }, txnId: string, server: string): Promise<string> {
  const digest = await sha256(new TextEncoder().encode(`${sender.userId}\u0000${sender.deviceId}\u0000${txnId}\u0000${server}`));
  return encodeBase64Url(digest.slice(0, 18));
}

/** Queues the messages for remote users, one EDU per server. */
export async function sendRemoteToDevice(env: Env, sender: { userId: string; deviceId: string }, type: string, txnId: string, byServer: Map<string, ServerMessages>): Promise<void> {
  await Promise.all(
    [...byServer].map(async ([server, messages]) => {
      const content = { sender: sender.userId, type, message_id: await messageId(sender, txnId, server), messages };
      await sendToServers(env, [server], [{ kind: 'edu', body: { edu_type: 'm.direct_to_device', content } }]);
    }),
  );
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** m.direct_to_device (in the Worker): delivers the messages meant for our users, once. */
export async function onDirectToDevice(env: Env, db: Db, ourServer: string, origin: string, content: Record<string, unknown>): Promise<void> {
  const { sender, type, message_id: messageId, messages } = content;
  if (typeof sender !== 'string' || serverNameOf(sender) !== origin) return;
  if (typeof type !== 'string' || type.length === 0 || type.length > 255 || typeof messageId !== 'string' || messageId.length > 255 || !isObject(messages)) return;
  const deliveries: [string, [string, Record<string, unknown>][]][] = [];
  for (const [userId, byDevice] of Object.entries(messages)) {
    if (serverNameOf(userId) !== ourServer || !isObject(byDevice)) continue;
    // jsonb cannot hold U+0000: such a message could not be stored.
    const usable = Object.entries(byDevice).filter((e): e is [string, Record<string, unknown>] => isObject(e[1]) && !JSON.stringify(e[1]).includes('\\u0000'));
    if (usable.length) deliveries.push([userId, usable]);
  }
  if (deliveries.length === 0) return;
  if (!(await claimToDeviceTxn(db, sender, FEDERATION_DEVICE, messageId))) return;
  try {
    await Promise.all(deliveries.map(([userId, byDevice]) => userObject(env, userId).deliverToDevice(userId, sender, type, byDevice)));
  } catch (e) {
    await releaseToDeviceTxn(db, sender, FEDERATION_DEVICE, messageId);
    throw e;
  }
}
