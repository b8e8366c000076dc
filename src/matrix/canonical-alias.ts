// Edits of `m.room.canonical_alias` content (spec: client-server "Room aliases", "Room Upgrades").
import type { JsonObject } from './types';

/** The content without `alias`: from `alias` and `alt_aliases`; undefined if it did not name it. */
export function withoutAlias(content: JsonObject, alias: string): JsonObject | undefined {
  const out: JsonObject = { ...content };
  let changed = false;
  if (content.alias === alias) {
    delete out.alias;
    changed = true;
  }
  if (Array.isArray(content.alt_aliases) && content.alt_aliases.includes(alias)) {
    const rest = content.alt_aliases.filter((a) => a !== alias);
    if (rest.length) out.alt_aliases = rest;
    else delete out.alt_aliases;
    changed = true;
  }
  return changed ? out : undefined;
}

/**
 * Moves the local aliases of a canonical alias event to the new room: the new room's content,
 * and the old room's content without them.
 */
export function splitCanonicalAlias(content: JsonObject, isLocal: (alias: string) => boolean): { old: JsonObject; new: JsonObject } {
  const oldContent: JsonObject = { ...content };
  const newContent: JsonObject = {};
  if (typeof content.alias === 'string' && content.alias !== '' && isLocal(content.alias)) {
    newContent.alias = content.alias;
    delete oldContent.alias;
  }
  if (Array.isArray(content.alt_aliases)) {
    const moved = content.alt_aliases.filter((a): a is string => typeof a === 'string' && isLocal(a));
    const kept = content.alt_aliases.filter((a) => !(typeof a === 'string' && isLocal(a)));
    if (moved.length) newContent.alt_aliases = moved;
    if (kept.length) oldContent.alt_aliases = kept;
    else delete oldContent.alt_aliases;
  }
  return { old: oldContent, new: newContent };
}
