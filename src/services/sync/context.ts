// Everything one /sync computation needs, gathered once.
import type { PooledDb } from '../../db/client';
import type { Filter } from '../../api/client/filter';
import type { SyncToken } from './token';
import type { SyncWaiters } from './waiters';

export interface SyncContext {
  db: PooledDb;
  userId: string;
  deviceId: string;
  filter: Filter;
  since?: SyncToken;
  upto: SyncToken;
  fullState: boolean;
  /** Rooms carry `state_after` (state up to the timeline's end) instead of `state` (v1.16). */
  useStateAfter?: boolean;
  waiters: SyncWaiters;
  /** Member events already sent to this device per room (lazy loading without redundancy). */
  lazySent: Map<string, Set<string>>;
}
