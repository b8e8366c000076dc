// Device management (spec: Device Management).
import { ErrCode, MatrixError } from '../../matrix/errors';
import * as q from '../../db/queries/accounts';
import { deviceListChanged } from '../e2ee/device-lists';
import type { UserScope } from './scope';

export interface ClientDevice {
  device_id: string;
  display_name?: string;
  last_seen_ip?: string;
  last_seen_ts?: number;
}

function toClient(d: q.DeviceRow): ClientDevice {
  const out: ClientDevice = { device_id: d.deviceId };
  if (d.displayName != null) out.display_name = d.displayName;
  if (d.lastSeenIp != null) out.last_seen_ip = d.lastSeenIp;
  if (d.lastSeenTs != null) out.last_seen_ts = d.lastSeenTs;
  return out;
}

export async function listDevices(scope: UserScope): Promise<ClientDevice[]> {
  return (await q.listDevices(scope.db, scope.userId)).map(toClient);
}

export async function getDevice(scope: UserScope, deviceId: string): Promise<ClientDevice> {
  const d = await q.getDevice(scope.db, scope.userId, deviceId);
  if (!d) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown device');
  return toClient(d);
}

export async function renameDevice(scope: UserScope, deviceId: string, displayName: string | null): Promise<void> {
  if (!(await q.renameDevice(scope.db, scope.userId, deviceId, displayName))) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Unknown device');
  // Other users see device names in /keys/query, so they learn of a rename (as Synapse does).
  await deviceListChanged(scope, { devices: [deviceId] });
}

/** Records where a device was last seen; called at most every few minutes per device. */
export async function touchDevice(scope: UserScope, deviceId: string, ip: string | null, userAgent: string | null, now: number): Promise<void> {
  await q.touchDevice(scope.db, scope.userId, deviceId, { lastSeenTs: now, lastSeenIp: ip, lastSeenUserAgent: userAgent });
}
