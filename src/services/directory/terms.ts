// Text handling of the user directory, shared by indexing and searching so that both agree: text is
// lower-cased and NFKC-normalised here (Postgres lower() is ASCII-only under the C locale), accents
// are folded by the `user_directory` text search configuration (src/db/sql/user_directory.sql).

/** Case-folded and NFKC-normalised: "Ǆ" and "dž", "①" and "1" index and match alike. */
export function normalizeText(text: string): string {
  return text.toLowerCase().normalize('NFKC');
}

/** Localpart characters that join words ("alice.smith"): the parts are indexed too, so "smith" finds it. */
const LOCALPART_SEPARATORS = /[._=\-/+]+/g;

export function localpartWords(localpart: string): string {
  return normalizeText(localpart).replace(LOCALPART_SEPARATORS, ' ');
}

/** Long pasted strings would make costly queries; Synapse keeps the first 10 words too. */
const MAX_WORDS = 10;

/**
 * The words of a search term. User ids split at `@` and `:` ("@bob:example.org" → bob, example.org);
 * other punctuation is left to Postgres' parser, which splits "jean-luc" as it did when indexing.
 * Words without a letter or digit could match nothing and are dropped.
 */
export function searchWords(term: string): string[] {
  return normalizeText(term)
    .split(/[\s@:]+/u)
    .filter((w) => /[\p{L}\p{N}]/u.test(w))
    .slice(0, MAX_WORDS);
}

/** A word as a quoted tsquery operand: quotes and backslashes doubled. */
function quoted(word: string): string {
  return `'${word.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export interface DirectoryQuery {
  /** Every word as a prefix: what matches. */
  prefix: string;
  /** Every word whole: ranks exact matches first. */
  exact: string;
}

/** tsquery texts for to_tsquery('user_directory', ...), or null when the term has no words. */
export function directoryQuery(term: string): DirectoryQuery | null {
  const words = searchWords(term).map(quoted);
  if (words.length === 0) return null;
  return { prefix: words.map((w) => `${w}:*`).join(' & '), exact: words.join(' & ') };
}
