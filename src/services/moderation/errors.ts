// The errors of account moderation (spec: client-server "Account locking", "Account suspension").
import { ErrCode, MatrixError } from '../../matrix/errors';

/** Every request of a locked account but logout: the client keeps its session (soft logout). */
export const userLocked = () => new MatrixError(401, ErrCode.USER_LOCKED, 'This account has been locked', { soft_logout: true });

export const userSuspended = (what = 'You cannot perform this action while suspended.') => new MatrixError(403, ErrCode.USER_SUSPENDED, what);
