// Dot-separated property paths (spec appendices: "Dot-separated property paths"): `\.` is a literal
// dot and `\\` a literal backslash within a property name; any other `\x` stays as it is.

const parsed = new Map<string, string[]>();
const MAX_CACHED = 4096;

export function parsePropertyPath(path: string): string[] {
  let parts = parsed.get(path);
  if (parts) return parts;
  parts = [];
  let current = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i];
    if (ch === '\\' && (path[i + 1] === '.' || path[i + 1] === '\\')) {
      current += path[++i];
    } else if (ch === '.') {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  if (parsed.size >= MAX_CACHED) parsed.delete(parsed.keys().next().value!);
  parsed.set(path, parts);
  return parts;
}

/** The value at `path` in `event`, or undefined when a step is missing or not an object. */
export function propertyAt(event: unknown, path: string): unknown {
  let value = event;
  for (const name of parsePropertyPath(path)) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    if (!Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}
