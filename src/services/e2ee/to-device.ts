// Send-to-device messaging (spec: "Send-to-Device messaging"). The sender's object reserves the
// transaction id; each recipient's object stores that recipient's messages, so its inbox positions
// commit in order, and wakes its syncs. Delivery in /sync and deletion on acknowledgement are
// /sync's (src/db/queries/sync.ts).
import type { Env } from '../../config';
import * as q from '../../db/queries/e2ee';
import { userObject } from '../../http/auth';
import type { UserScope } from '../account/scope';
import { sendRemoteToDevice, type ServerMessages } from '../federation/to-device';
import { wakeUsers } from '../sync/wake';

/** Messages for one recipient: device id (or `*`) → content. */
export type DeviceMessages = [deviceId: string, content: Record<string, unknown>][];

/**
 * PUT /sendToDevice/{eventType}/{txnId}: `messages` for local recipients (user → device → content),
 * `remote` for other servers' users (server → their messages, sent as m.direct_to_device EDUs).
 * The same transaction id from the same device sends nothing a second time.
 */
export async function sendToDevice(
  env: Env,
  sender: { userId: string; deviceId: string },
  type: string,
  txnId: string,
  messages: Map<string, DeviceMessages>,
  remote: Map<string, ServerMessages>,
): Promise<void> {
  const senderObject = userObject(env, sender.userId);
  if (!(await senderObject.claimToDeviceTxn(sender.userId, sender.deviceId, txnId))) return;
  try {
    await Promise.all([...messages].map(([recipient, byDevice]) => userObject(env, recipient).deliverToDevice(recipient, sender.userId, type, byDevice)));
    await sendRemoteToDevice(env, sender, type, txnId, remote);
  } catch (e) {
    // Let the client's retry deliver what this attempt could not (some recipients may get it twice).
    await senderObject.releaseToDeviceTxn(sender.userId, sender.deviceId, txnId);
    throw e;
  }
}

/** In the recipient's object: stores the messages, then wakes the recipient's syncs. */
export async function deliver(scope: UserScope, sender: string, type: string, byDevice: DeviceMessages): Promise<void> {
  const pos = await q.storeToDevice(scope.db, scope.userId, sender, type, new Map(byDevice));
  if (pos !== undefined) await wakeUsers(scope.env, [scope.userId], { m: pos });
}

/** In the sender's object: reserves the transaction id; false when this device already used it. */
export function claimTxn(scope: UserScope, deviceId: string, txnId: string): Promise<boolean> {
  return q.claimToDeviceTxn(scope.db, scope.userId, deviceId, txnId);
}

export function releaseTxn(scope: UserScope, deviceId: string, txnId: string): Promise<void> {
  return q.releaseToDeviceTxn(scope.db, scope.userId, deviceId, txnId);
}
