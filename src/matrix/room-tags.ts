// Room tags (spec: client-server "Room Tagging"): kept in the room's `m.tag` account data as
// `{ tags: { <tag>: { order?: number, ... } } }`.
import { ErrCode, MatrixError } from './errors';
import type { JsonObject } from './types';

export const TAG_EVENT_TYPE = 'm.tag';

/** "The name of a tag MUST NOT exceed 255 bytes." */
export function checkTagName(tag: string): void {
  if (tag.length === 0 || new TextEncoder().encode(tag).byteLength > 255 || tag.includes('\u0000')) {
    throw new MatrixError(400, ErrCode.INVALID_PARAM, 'A tag is 1 to 255 bytes');
  }
}

/** The data of a tag: `order`, if given, is "a number in a range [0,1]" (tag.yaml). */
export function checkTagContent(content: JsonObject): void {
  const { order } = content;
  if (order !== undefined && (typeof order !== 'number' || !(order >= 0 && order <= 1))) {
    throw new MatrixError(400, ErrCode.BAD_JSON, 'order must be a number between 0 and 1');
  }
}

/** The tags in an m.tag content (anything malformed reads as no tags). */
export function tagsOf(content: JsonObject | undefined): Record<string, JsonObject> {
  const tags = content?.tags;
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) return {};
  return Object.fromEntries(Object.entries(tags).filter(([, v]) => typeof v === 'object' && v !== null && !Array.isArray(v))) as Record<string, JsonObject>;
}

/** m.tag content with one tag set (to `data`) or removed (`data` null). */
export function withTag(content: JsonObject | undefined, tag: string, data: JsonObject | null): JsonObject {
  const tags = { ...tagsOf(content) };
  if (data === null) delete tags[tag];
  else tags[tag] = data;
  return { ...content, tags };
}
