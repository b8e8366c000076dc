// Profiles (spec: Profiles), including extended profile fields (v1.16).
import { ErrCode, MatrixError } from '../../matrix/errors';
import { canonicalJson } from '../../matrix/canonical-json';
import * as q from '../../db/queries/user-data';
import type { UserScope } from './scope';
import { updateDirectoryEntry } from '../directory/entries';

/** The spec's ceiling for a whole profile. */
export const MAX_PROFILE_BYTES = 64 * 1024;
const encoder = new TextEncoder();

export async function setField(scope: UserScope, key: string, value: unknown): Promise<Record<string, unknown>> {
  const profile = { ...((await q.getProfile(scope.db, scope.userId)) ?? {}) };
  profile[key] = value;
  if (encoder.encode(canonicalJson(profile)).byteLength > MAX_PROFILE_BYTES) {
    throw new MatrixError(400, ErrCode.PROFILE_TOO_LARGE, 'The profile would exceed 64 KiB');
  }
  await q.setProfile(scope.db, scope.userId, profile);
  await updateDirectoryEntry(scope.db, scope.userId, profile);
  return profile;
}

export async function deleteField(scope: UserScope, key: string): Promise<Record<string, unknown>> {
  const profile = { ...((await q.getProfile(scope.db, scope.userId)) ?? {}) };
  delete profile[key];
  await q.setProfile(scope.db, scope.userId, profile);
  await updateDirectoryEntry(scope.db, scope.userId, profile);
  return profile;
}
