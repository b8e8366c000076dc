// One /sync request inside the user's object: resolve the filter, then compute; when an
// incremental sync finds nothing new, park until woken or until the timeout.
import { validate } from '../../http/body';
import { filterSchema, type Filter } from '../../api/client/filter';
import { ErrCode } from '../../matrix/errors';
import * as filters from '../account/filters';
import type { UserScope } from '../account/scope';
import type { SyncParams } from './params';
import { computeSync, type SyncExtensions, type SyncResponse } from './sync';
import { formatSyncToken, parseSyncToken, type SyncToken } from './token';
import type { SyncWaiters } from './waiters';

/** How long `latest` may be trusted without reading the heads again. */
const RECHECK_MS = 60_000;

export const syncExtensions: SyncExtensions = {};

async function resolveFilter(s: UserScope, params: SyncParams, waiters: SyncWaiters): Promise<Filter> {
  if (!params.filter) return {};
  if ('inline' in params.filter) return params.filter.inline;
  const id = params.filter.id;
  let filter = waiters.filters.get(id);
  if (!filter) {
    filter = validate(filterSchema, await filters.getFilter(s, id), ErrCode.BAD_JSON);
    waiters.filters.set(id, filter);
  }
  return filter;
}

function nothingNew(since: SyncToken, waiters: SyncWaiters, now: number): boolean {
  const latest = waiters.latest;
  return latest !== undefined && now - waiters.checkedAt < RECHECK_MS && since.e >= latest.e && since.m >= latest.m && since.t >= waiters.typingSerial;
}

/**
 * The answer when nothing changed. The device's key counts still come with it: v1.17 makes
 * device_one_time_keys_count optional only when the device has no unclaimed one-time keys.
 */
async function quietResponse(s: UserScope, deviceId: string, since: SyncToken, waiters: SyncWaiters): Promise<SyncResponse> {
  const response: SyncResponse = { next_batch: formatSyncToken(since) };
  const { keyCounts } = syncExtensions;
  if (keyCounts) {
    const counts = await waiters.keyCounts.get(deviceId, () => keyCounts({ db: s.db, userId: s.userId, deviceId }));
    response.device_one_time_keys_count = counts.otk;
    response.device_unused_fallback_key_types = counts.fallback;
  }
  return response;
}

export async function runSync(s: UserScope, deviceId: string, params: SyncParams, waiters: SyncWaiters, lazySent: Map<string, Set<string>>): Promise<SyncResponse> {
  const filter = await resolveFilter(s, params, waiters);
  let since = params.since !== undefined ? parseSyncToken(params.since) : undefined;
  const deadline = Date.now() + params.timeoutMs;
  for (;;) {
    const now = Date.now();
    if (since && !params.fullState && nothingNew(since, waiters, now)) {
      if (now >= deadline) return quietResponse(s, deviceId, since, waiters);
      await waiters.park(deadline - now);
      continue;
    }
    const outcome = await computeSync({ db: s.db, userId: s.userId, deviceId, filter, since, fullState: params.fullState, useStateAfter: params.useStateAfter, waiters, lazySent }, waiters.typingSerial, syncExtensions);
    waiters.learn(outcome.heads);
    if (outcome.news || !since || params.fullState || Date.now() >= deadline) return outcome.response;
    // Nothing for this user up to the heads: wait from there.
    since = parseSyncToken(outcome.response.next_batch);
    await waiters.park(deadline - Date.now());
  }
}
