// Dehydrated devices (MSC3814, as Synapse serves it under /unstable/org.matrix.msc3814.v1): a
// device a client parks on the server, encrypted with a key only the user holds, so that messages
// sent while all the user's devices are offline can be decrypted later. The server stores an
// ordinary device (no tokens) with its keys, its opaque `device_data`, and its to-device inbox,
// which the rehydrating client reads through the events endpoint.
import * as q from '../../db/queries/e2ee';
import * as keysDb from '../../db/queries/key-management';
import { ErrCode, MatrixError, badJson } from '../../matrix/errors';
import { checkDeviceId } from '../../matrix/ids';
import type { UserScope } from '../account/scope';
import { announceDeviceListChange, devicesDeleted } from './device-lists';
import { canonical, checkDeviceKeys, isObject, parseKeyMap, type Json } from './shapes';

const none = () => new MatrixError(404, ErrCode.NOT_FOUND, 'No dehydrated device available');

/** PUT dehydrated_device: replaces the user's dehydrated device with a new one and its keys. */
export async function putDehydratedDevice(scope: UserScope, body: Json): Promise<{ device_id: string }> {
  const { userId } = scope;
  const deviceId = body.device_id;
  if (typeof deviceId !== 'string' || checkDeviceId(deviceId) !== null) throw badJson("'device_id' must be a device id");
  const data = body.device_data;
  if (!isObject(data) || typeof data.algorithm !== 'string') throw badJson("'device_data' must be an object with an 'algorithm'");
  const displayName = body.initial_device_display_name;
  if (displayName !== undefined && displayName !== null && typeof displayName !== 'string') throw badJson("'initial_device_display_name' must be a string");
  if (body.device_keys === undefined) throw badJson('Device keys must be provided');
  const deviceKeys = await checkDeviceKeys(body.device_keys, userId, deviceId);
  const oneTime = parseKeyMap(body.one_time_keys, 'one_time_keys');
  const fallback = parseKeyMap(body.fallback_keys, 'fallback_keys');

  const old = await q.getDehydratedDevice(scope.db, userId);
  if (old?.deviceId !== deviceId && (await q.existingDeviceIds(scope.db, userId, [deviceId])).length) {
    throw new MatrixError(400, ErrCode.INVALID_PARAM, 'A device with this id already exists');
  }
  const pos = await scope.db.transaction(async (tx) => {
    await q.replaceDehydratedDevice(tx, userId, old?.deviceId, deviceId, displayName ?? null);
    await keysDb.insertDeviceKeys(tx, userId, deviceId, deviceKeys);
    await keysDb.insertOneTimeKeys(tx, userId, deviceId, oneTime.map((k) => ({ algorithm: k.algorithm, keyId: k.keyId, keyJson: k.json })));
    for (const k of fallback) await keysDb.putFallbackKey(tx, { userId, deviceId, algorithm: k.algorithm, keyId: k.keyId, keyJson: k.json });
    await q.putDehydratedDevice(tx, userId, deviceId, canonical(data, 'device_data'));
    return q.insertDeviceListChange(tx, userId);
  });
  if (old) await q.forgetDevices(scope.db, userId, [old.deviceId]);
  await announceDeviceListChange(scope, pos, { devices: [deviceId], deleted: old && old.deviceId !== deviceId ? [old.deviceId] : [] });
  return { device_id: deviceId };
}

export async function getDehydratedDevice(scope: UserScope): Promise<{ device_id: string; device_data: Json }> {
  const row = await q.getDehydratedDevice(scope.db, scope.userId);
  if (!row) throw none();
  return { device_id: row.deviceId, device_data: JSON.parse(row.deviceData) as Json };
}

export async function deleteDehydratedDevice(scope: UserScope): Promise<{ device_id: string }> {
  const row = await q.getDehydratedDevice(scope.db, scope.userId);
  if (!row) throw none();
  await q.deleteDevice(scope.db, scope.userId, row.deviceId);
  await devicesDeleted(scope, [row.deviceId]);
  return { device_id: row.deviceId };
}

export interface DehydratedEvents {
  events: { sender: string; type: string; content: Record<string, unknown> }[];
  /** `d<position>`: where the next call starts (messages up to it are then dropped). */
  nextBatch: string;
  limited: boolean;
}

/** The to-device messages of the dehydrated device after `since` (a previous next_batch). */
export async function dehydratedEvents(scope: UserScope, deviceId: string, since: string | undefined, limit: number): Promise<DehydratedEvents> {
  const row = await q.getDehydratedDevice(scope.db, scope.userId);
  if (!row) throw new MatrixError(403, ErrCode.FORBIDDEN, 'No dehydrated device exists');
  if (row.deviceId !== deviceId) throw new MatrixError(403, ErrCode.FORBIDDEN, 'You may only fetch messages for your dehydrated device');
  let after = 0;
  if (since !== undefined) {
    const m = /^d(\d{1,15})$/.exec(since);
    if (!m) throw new MatrixError(400, ErrCode.INVALID_PARAM, `Invalid batch token '${since}'`);
    after = Number(m[1]);
  }
  const rows = await q.ackAndReadInbox(scope.db, scope.userId, deviceId, after, limit);
  const last = rows.length ? rows[rows.length - 1].streamPos : after;
  return {
    events: rows.map((r) => ({ sender: r.sender, type: r.type, content: r.content })),
    nextBatch: `d${last}`,
    limited: rows.length === limit,
  };
}
