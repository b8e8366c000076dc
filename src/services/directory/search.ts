// POST /user_directory/search (spec: client-server "User directory").
import type { Db } from '../../db/client';
import { searchDirectory } from '../../db/queries/user-directory';
import { directoryQuery } from './terms';

export interface DirectoryUser {
  user_id: string;
  display_name?: string;
  avatar_url?: string;
}

export interface DirectoryResults {
  results: DirectoryUser[];
  limited: boolean;
}

export async function searchUsers(db: Db, searcher: string, term: string, limit: number, allLocal: boolean): Promise<DirectoryResults> {
  const query = directoryQuery(term);
  if (query === null) return { results: [], limited: false };
  const hits = await searchDirectory(db, { searcher, ...query, rows: limit + 1, allLocal });
  return {
    results: hits.slice(0, limit).map((h) => ({
      user_id: h.userId,
      ...(h.displayName !== null && { display_name: h.displayName }),
      ...(h.avatarUrl !== null && { avatar_url: h.avatarUrl }),
    })),
    limited: hits.length > limit,
  };
}
