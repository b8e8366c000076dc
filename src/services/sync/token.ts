// Sync tokens (spec: /sync `next_batch`, `since`): opaque to clients, compact, and meaningful
// across restarts. `s<event position>_<misc position>_<typing serial>`.
import { ErrCode, MatrixError } from '../../matrix/errors';

export interface SyncToken {
  /** Room events up to this global position have been sent. */
  e: number;
  /** Account data, receipts, presence, to-device and device lists up to this misc position. */
  m: number;
  /** Typing notifications up to this serial (milliseconds; typing is ephemeral). */
  t: number;
}

export function formatSyncToken(t: SyncToken): string {
  return `s${t.e}_${t.m}_${t.t}`;
}

export function parseSyncToken(raw: string): SyncToken {
  const m = /^s(\d{1,18})_(\d{1,18})_(\d{1,18})$/.exec(raw);
  if (!m) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid since token');
  return { e: Number(m[1]), m: Number(m[2]), t: Number(m[3]) };
}
