// Checks on what users choose for themselves: usernames and passwords.
import { ErrCode, MatrixError } from '../../matrix/errors';

const LOCALPART = /^[a-z0-9._=\-/+]+$/;

/** A new account's localpart, per the user id grammar (appendix "User Identifiers"). */
export function checkLocalpart(localpart: string, serverName: string): string {
  if (localpart.length === 0) throw new MatrixError(400, ErrCode.INVALID_USERNAME, 'Username cannot be empty');
  if (!LOCALPART.test(localpart)) {
    throw new MatrixError(400, ErrCode.INVALID_USERNAME, "Username can only contain the characters a-z, 0-9, or '._=-/+'");
  }
  // Numeric localparts are reserved for generated ids and guests, as in Synapse.
  if (/^\d+$/.test(localpart)) throw new MatrixError(400, ErrCode.INVALID_USERNAME, 'Numeric user IDs are reserved for guest users');
  if (new TextEncoder().encode(`@${localpart}:${serverName}`).byteLength > 255) {
    throw new MatrixError(400, ErrCode.INVALID_USERNAME, 'User ID is too long');
  }
  return localpart;
}

export function checkNewPassword(password: string): void {
  if (password.length === 0) throw new MatrixError(400, ErrCode.WEAK_PASSWORD, 'Password cannot be empty');
  if (password.length > 512) throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Password too long');
}
