// A 200 answer whose JSON is already text (e.g. assembled from stored JSON by a Durable Object), sent
// as it is instead of being parsed and encoded again.
import type { Context } from 'hono';

export const jsonText = (c: Context, text: string) => c.body(text, 200, { 'content-type': 'application/json' });
