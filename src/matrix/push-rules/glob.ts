// Glob-style matching (spec appendices: `*` matches zero or more characters, `?` exactly one),
// case-insensitive, either against a whole value or (for content.body, content rules and display
// names) against any substring that starts and ends at a word boundary. Patterns are compiled once
// into a RegExp and cached.
//
// The RegExp never backtracks across `*`: a glob `L0*L1*…*Ln` matches when L0 matches where it must
// start, each middle segment matches at its leftmost place after the previous one, and Ln matches
// where it must end. Taking each middle segment at its leftmost place is never worse, so those
// segments are matched inside lookaheads (atomic groups: `(?=(…))\1`), keeping the cost at about
// value length × pattern length instead of growing with the number of stars.

export type GlobMode = 'whole' | 'words';

/** Characters that are not word boundaries (spec: `[A-Z]`, `[a-z]`, `[0-9]` and `_`). */
const WORD = '[A-Za-z0-9_]';
const ANY = '[\\s\\S]';

const caches: Record<GlobMode, Map<string, RegExp>> = { whole: new Map(), words: new Map() };
const literalCache = new Map<string, RegExp>();
const MAX_CACHED = 4096;

function escapeChar(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** One star-free segment: literal characters and `?`. */
function segment(s: string): string {
  let out = '';
  for (const ch of s) out += ch === '?' ? ANY : escapeChar(ch);
  return out;
}

function compile(segments: string[], mode: GlobMode): RegExp {
  const start = mode === 'words' ? `(?<!${WORD})` : '';
  const end = mode === 'words' ? `(?!${WORD})` : '$';
  if (segments.length === 1) {
    const body = segment(segments[0]);
    return new RegExp(mode === 'words' ? `${start}${body}${end}` : `^${body}$`, 'iu');
  }
  // The first segment: fixed at the start for whole values; for words, the leftmost place it
  // matches at a boundary (the leftmost start leaves the most room for the rest).
  let source = mode === 'words' ? `^(?=(${ANY}*?${start}${segment(segments[0])}))\\1` : `^${segment(segments[0])}`;
  let group = mode === 'words' ? 2 : 1;
  for (const middle of segments.slice(1, -1)) {
    source += `(?=(${ANY}*?${segment(middle)}))\\${group++}`;
  }
  source += `${ANY}*${segment(segments[segments.length - 1])}${end}`;
  return new RegExp(source, 'iu');
}

function remember(cache: Map<string, RegExp>, key: string, re: RegExp): RegExp {
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, re);
  return re;
}

export function globRegExp(pattern: string, mode: GlobMode): RegExp {
  const cache = caches[mode];
  return cache.get(pattern) ?? remember(cache, pattern, compile(pattern.split(/\*+/), mode));
}

export function globMatches(pattern: string, value: string, mode: GlobMode): boolean {
  return globRegExp(pattern, mode).test(value);
}

/** Whether `text` appears in `value` as whole words (case-insensitive, no wildcards). */
export function containsWords(value: string, text: string): boolean {
  let re = literalCache.get(text);
  if (!re) {
    let body = '';
    for (const ch of text) body += escapeChar(ch);
    re = remember(literalCache, text, new RegExp(`(?<!${WORD})${body}(?!${WORD})`, 'iu'));
  }
  return re.test(value);
}
