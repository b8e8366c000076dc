// Client config / account data (spec: Client Config), global and per room.
import { ErrCode, MatrixError } from '../../matrix/errors';
import * as q from '../../db/queries/user-data';
import type { UserScope } from './scope';

export async function getAccountData(scope: UserScope, roomId: string, type: string): Promise<Record<string, unknown>> {
  const content = await q.getAccountData(scope.db, scope.userId, roomId, type);
  if (!content) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Account data not found');
  return content;
}

export async function putAccountData(scope: UserScope, roomId: string, type: string, content: Record<string, unknown>): Promise<number> {
  return q.putAccountData(scope.db, scope.userId, roomId, type, content);
}
