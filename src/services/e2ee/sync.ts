// The end-to-end encryption parts of /sync (spec: "Extensions to /sync"): device_lists on
// incremental syncs, and the device's one-time key counts and unused fallback key types.
// Registered into /sync's extension points (src/services/sync/run.ts) when this module loads.
import { deviceKeyCounts, markKeyCountsRead } from '../../db/queries/key-management';
import type { SyncContext } from '../sync/context';
import { syncExtensions } from '../sync/run';
import { deviceListChanges } from './device-lists';

export function deviceLists(ctx: SyncContext): Promise<{ changed: string[]; left: string[] }> {
  if (ctx.since === undefined) return Promise.resolve({ changed: [], left: [] });
  return deviceListChanges(ctx.db, ctx.userId, ctx.since, ctx.upto);
}

/** Read for the user's object, which keeps them: marked first, so that claims tell the object (see keyCountReaders). */
export async function keyCounts(ctx: Pick<SyncContext, 'db' | 'userId' | 'deviceId'>): Promise<{ otk: Record<string, number>; fallback: string[] }> {
  await markKeyCountsRead(ctx.db, ctx.userId, ctx.deviceId);
  return deviceKeyCounts(ctx.db, ctx.userId, ctx.deviceId);
}

syncExtensions.deviceLists = deviceLists;
syncExtensions.keyCounts = keyCounts;
