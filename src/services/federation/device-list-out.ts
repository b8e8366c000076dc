// Telling other servers that a local user's devices or cross-signing keys changed (spec:
// server-server "Device Management", m.device_list_update, and "End-to-End Encryption",
// m.signing_key_update): sent to every server with a user in a room the user is joined to.
// Each update's stream_id is the misc-stream position of the change (what /user/devices reports),
// and its prev_id the user's previous change, so a server that missed one resynchronises.
import { config } from '../../config';
import * as q from '../../db/queries/e2ee';
import { lastDeviceListChange, serversSharingRoomWith } from '../../db/queries/remote-devices';
import { serverNameOf } from '../../matrix/ids';
import type { UserScope } from '../account/scope';
import { withSignatures, type Json } from '../e2ee/shapes';
import { sendToServers } from './outbound';

/** What changed in a user's device list. */
export interface DeviceListChange {
  /** Devices added or changed (keys, signatures, display name). */
  devices?: string[];
  deleted?: string[];
  /** The master or self-signing key, or a signature of the master key, changed. */
  crossSigning?: boolean;
}

/** The user's current device keys and cross-signing keys, with the signatures uploaded for them. */
async function currentKeys(scope: UserScope, deviceIds: string[]) {
  const rows = await q.keysForQuery(scope.db, '', deviceIds.length ? [] : [scope.userId], deviceIds.map((d): [string, string] => [scope.userId, d]));
  const signed = (obj: Json, keyId: string) =>
    withSignatures(obj, rows.signatures.filter((s) => s.targetKeyId === keyId && s.signerUserId === scope.userId));
  const devices = new Map(rows.devices.filter((d) => deviceIds.includes(d.deviceId)).map((d) => [d.deviceId, signed(JSON.parse(d.keyJson) as Json, d.deviceId)]));
  const cross: { master_key?: Json; self_signing_key?: Json } = {};
  for (const x of rows.crossSigning) {
    if (x.keyType === 'master') cross.master_key = signed(JSON.parse(x.keyJson) as Json, x.publicKey);
    else if (x.keyType === 'self_signing') cross.self_signing_key = JSON.parse(x.keyJson) as Json;
  }
  return { devices, cross };
}

export async function federateDeviceListChange(scope: UserScope, pos: number, change: DeviceListChange): Promise<void> {
  const { userId } = scope;
  if (serverNameOf(userId) !== config(scope.env).serverName) return;
  const servers = await serversSharingRoomWith(scope.db, userId);
  if (servers.length === 0) return;
  const changed = change.devices ?? [];
  const { devices, cross } = await currentKeys(scope, changed);
  const prev = await lastDeviceListChange(scope.db, userId, pos);
  const update = (deviceId: string, extra: Record<string, unknown>) => ({
    edu_type: 'm.device_list_update',
    content: { user_id: userId, device_id: deviceId, stream_id: pos, prev_id: prev ? [prev] : [], ...extra },
  });
  const edus: Record<string, unknown>[] = [];
  // Device names stay on this server (as Synapse keeps them by default): they often name people.
  for (const d of changed) edus.push(update(d, { deleted: false, ...(devices.has(d) ? { keys: devices.get(d) } : {}) }));
  for (const d of change.deleted ?? []) edus.push(update(d, { deleted: true }));
  if (change.crossSigning && (cross.master_key || cross.self_signing_key)) edus.push({ edu_type: 'm.signing_key_update', content: { user_id: userId, ...cross } });
  await sendToServers(scope.env, servers, edus.map((body) => ({ kind: 'edu' as const, body })));
}
