// Device-list tracking (spec: "Tracking the device list for a user", and `device_lists` in /sync):
// recording that a user's devices or cross-signing keys changed, waking those who care, and
// answering "whose device lists changed between two sync positions" for /sync and /keys/changes.
import type { Db } from '../../db/client';
import * as q from '../../db/queries/e2ee';
import { roomMates } from '../../db/queries/sync';
import { serverNameOf } from '../../matrix/ids';
import type { UserScope } from '../account/scope';
import { federateDeviceListChange, type DeviceListChange } from '../federation/device-list-out';
import { wakeUsers } from '../sync/wake';

/** Positions of the two streams that matter here: room events (e) and the misc stream (m). */
export interface StreamPoint {
  e: number;
  m: number;
}

/**
 * Users whose device lists changed in (from, to] as `userId` should see them:
 * - changed: users sharing a joined room with `userId` now whose devices or cross-signing keys
 *   changed in (from.m, to.m], `userId` themself when their own did, the targets of `userId`'s
 *   own cross-signing signatures, and users who share a room at `to` but shared none at `from`;
 * - left: users who shared a room at `from` and share none at `to`.
 */
export async function deviceListChanges(db: Db, userId: string, from: StreamPoint, to: StreamPoint): Promise<{ changed: string[]; left: string[] }> {
  const changed = new Set<string>();
  const left = new Set<string>();
  if (to.m > from.m) for (const u of await q.changedDeviceLists(db, userId, from.m, to.m)) changed.add(u);
  if (to.e > from.e) {
    const moves = await q.membershipMoves(db, userId, from.e, to.e);
    const candidates = new Set(moves.map((m) => m.userId));
    // Where the user's own membership moved, everyone in the room may now share it, or not.
    const ownRooms = [...new Set(moves.filter((m) => m.userId === userId).map((m) => m.roomId))];
    if (ownRooms.length) for (const u of await q.membersSince(db, ownRooms, from.e)) candidates.add(u);
    candidates.delete(userId);
    if (candidates.size) {
      const history = await q.membershipHistory(db, userId, [userId, ...candidates], from.e);
      const before = sharers(history, userId, from.e);
      const after = sharers(history, userId, to.e);
      for (const u of candidates) {
        if (after.has(u) && !before.has(u)) changed.add(u);
        if (before.has(u) && !after.has(u)) left.add(u);
      }
    }
  }
  for (const u of left) changed.delete(u);
  return { changed: [...changed], left: [...left] };
}

/** Users joined at position `p` to a room `userId` was joined to at `p`. */
function sharers(history: q.MembershipStep[], userId: string, p: number): Set<string> {
  // The membership at p of each (room, user): the newest step at or before p.
  const at = new Map<string, { pos: number; joined: boolean }>();
  for (const s of history) {
    if (s.streamPos > p) continue;
    const key = `${s.roomId}\u0000${s.userId}`;
    const seen = at.get(key);
    if (seen && seen.pos >= s.streamPos) continue;
    at.set(key, { pos: s.streamPos, joined: membershipOf(s.json) === 'join' });
  }
  const myRooms = new Set<string>();
  for (const [key, m] of at) if (m.joined && key.endsWith(`\u0000${userId}`)) myRooms.add(key.slice(0, key.indexOf('\u0000')));
  const out = new Set<string>();
  for (const [key, m] of at) {
    const i = key.indexOf('\u0000');
    if (m.joined && myRooms.has(key.slice(0, i))) out.add(key.slice(i + 1));
  }
  out.delete(userId);
  return out;
}

function membershipOf(json: string): unknown {
  return (JSON.parse(json) as { content?: { membership?: unknown } }).content?.membership;
}

/** Local users to wake when `userId`'s device list changed: the user and their room-mates. */
async function concerned(scope: UserScope): Promise<string[]> {
  const server = serverNameOf(scope.userId);
  const mates = (await roomMates(scope.db, scope.userId)).filter((u) => serverNameOf(u) === server);
  return [scope.userId, ...mates];
}

/**
 * Wakes the syncs that must now show the change recorded at `pos` (after its commit), and tells
 * the other servers in the user's rooms what changed.
 */
export async function announceDeviceListChange(scope: UserScope, pos: number, change: DeviceListChange): Promise<void> {
  await wakeUsers(scope.env, await concerned(scope), { m: pos });
  await federateDeviceListChange(scope, pos, change).catch((e) => console.error(`[federation] device list update of ${scope.userId} not sent: ${e}`));
}

/** The user's devices changed outside of a key upload (new device, deletion, new display name). */
export async function deviceListChanged(scope: UserScope, change: DeviceListChange): Promise<void> {
  const pos = await scope.db.transaction((tx) => q.insertDeviceListChange(tx, scope.userId));
  await announceDeviceListChange(scope, pos, change);
}

/** Devices were deleted: what they left behind goes, and their owner's room-mates must learn of it. */
export async function devicesDeleted(scope: UserScope, deviceIds: string[]): Promise<void> {
  if (deviceIds.length === 0) return;
  await q.forgetDevices(scope.db, scope.userId, deviceIds);
  await deviceListChanged(scope, { deleted: deviceIds });
}
