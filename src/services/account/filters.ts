// Stored filters (spec: Filtering).
import { ErrCode, MatrixError } from '../../matrix/errors';
import * as q from '../../db/queries/user-data';
import type { UserScope } from './scope';

export async function createFilter(scope: UserScope, filter: Record<string, unknown>): Promise<string> {
  return q.insertFilter(scope.db, scope.userId, filter);
}

export async function getFilter(scope: UserScope, filterId: string): Promise<Record<string, unknown>> {
  const filter = /^\d{1,18}$/.test(filterId) ? await q.getFilter(scope.db, scope.userId, filterId) : undefined;
  if (!filter) throw new MatrixError(404, ErrCode.NOT_FOUND, 'No such filter');
  return filter;
}
