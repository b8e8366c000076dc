// The query parameters of GET /sync.
import { validate } from '../../http/body';
import { filterSchema, type Filter } from '../../api/client/filter';
import { ErrCode, MatrixError } from '../../matrix/errors';

export interface SyncParams {
  since?: string;
  timeoutMs: number;
  fullState: boolean;
  /** v1.16 (MSC4222): state up to the end of the timeline, in `state_after` instead of `state`. */
  useStateAfter: boolean;
  setPresence: 'online' | 'offline' | 'unavailable';
  /** Inline filter JSON or a stored filter id. */
  filter?: { inline: Filter } | { id: string };
}

/** Long-polls longer than this are cut short (clients reconnect). */
export const MAX_TIMEOUT_MS = 60_000;

export function parseSyncParams(q: (name: string) => string | undefined): SyncParams {
  const timeout = q('timeout');
  let timeoutMs = 0;
  if (timeout !== undefined) {
    if (!/^\d{1,12}$/.test(timeout)) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'timeout must be a non-negative integer');
    timeoutMs = Math.min(Number(timeout), MAX_TIMEOUT_MS);
  }
  const fullState = q('full_state');
  if (fullState !== undefined && fullState !== 'true' && fullState !== 'false') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'full_state must be true or false');
  const useStateAfter = q('use_state_after');
  if (useStateAfter !== undefined && useStateAfter !== 'true' && useStateAfter !== 'false') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'use_state_after must be true or false');
  const setPresence = q('set_presence') ?? 'online';
  if (setPresence !== 'online' && setPresence !== 'offline' && setPresence !== 'unavailable') throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Invalid set_presence');
  const params: SyncParams = { since: q('since') || undefined, timeoutMs, fullState: fullState === 'true', useStateAfter: useStateAfter === 'true', setPresence };
  const filter = q('filter');
  if (filter !== undefined && filter !== '') {
    if (filter.trimStart().startsWith('{')) {
      let value: unknown;
      try {
        value = JSON.parse(filter);
      } catch {
        throw new MatrixError(400, ErrCode.NOT_JSON, 'filter is not valid JSON');
      }
      params.filter = { inline: validate(filterSchema, value, ErrCode.BAD_JSON) };
    } else {
      params.filter = { id: filter };
    }
  }
  return params;
}
