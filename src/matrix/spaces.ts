// Space children (spec: client-server "Spaces", `m.space.child` and "Ordering of children
// within a space").
import type { JsonObject } from './types';

export interface SpaceChild {
  /** The child room id. */
  stateKey: string;
  originServerTs: number;
  content: JsonObject;
}

/** A child is part of the space only while its `via` is a non-empty list of strings. */
export function hasValidVia(content: JsonObject): boolean {
  const via = content.via;
  return Array.isArray(via) && via.length > 0 && via.every((v) => typeof v === 'string');
}

export function isSuggested(content: JsonObject): boolean {
  return content.suggested === true;
}

/** `order`: 1 to 50 characters from \x20 to \x7E; anything else counts as no order. */
export function validOrder(content: JsonObject): string | undefined {
  const order = content.order;
  return typeof order === 'string' && /^[\x20-\x7e]{1,50}$/.test(order) ? order : undefined;
}

/** Compares by Unicode code points (JavaScript's `<` compares UTF-16 code units). */
export function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/** Children with a valid order first, by order; then by timestamp; then by room id. */
export function compareChildren(a: SpaceChild, b: SpaceChild): number {
  const oa = validOrder(a.content);
  const ob = validOrder(b.content);
  if (oa !== undefined && ob === undefined) return -1;
  if (oa === undefined && ob !== undefined) return 1;
  if (oa !== undefined && ob !== undefined && oa !== ob) return compareCodePoints(oa, ob);
  if (a.originServerTs !== b.originServerTs) return a.originServerTs - b.originServerTs;
  return compareCodePoints(a.stateKey, b.stateKey);
}
