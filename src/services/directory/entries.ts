// Keeping the user directory current: a user's row follows their global profile, written by the
// profile service and at registration, and goes away when the account is deactivated.
import type { Db } from '../../db/client';
import { deleteDirectoryEntry, upsertDirectoryEntry } from '../../db/queries/user-directory';
import { localpartWords, normalizeText } from './terms';

const nonEmpty = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export async function updateDirectoryEntry(db: Db, userId: string, profile: Record<string, unknown>): Promise<void> {
  const colon = userId.indexOf(':');
  const localpart = userId.slice(1, colon);
  const displayName = nonEmpty(profile.displayname);
  await upsertDirectoryEntry(db, {
    userId,
    displayName,
    avatarUrl: nonEmpty(profile.avatar_url),
    localpart: normalizeText(localpart),
    localpartWords: localpartWords(localpart),
    normalizedDisplayName: displayName === null ? null : normalizeText(displayName),
    serverName: userId.slice(colon + 1),
  });
}

export async function removeDirectoryEntry(db: Db, userId: string): Promise<void> {
  await deleteDirectoryEntry(db, userId);
}
