// HTTP range requests (RFC 9110 §14) over stored media: a single byte range is served as 206;
// several ranges, or a header we cannot read, get the whole content (which RFC 9110 allows).

export interface ByteRange {
  offset: number;
  length: number;
}

/** The range to serve, `'unsatisfiable'` (416), or null for the whole content. */
export function parseRange(header: string | null, size: number): ByteRange | 'unsatisfiable' | null {
  if (header === null) return null;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    // A suffix: the last N bytes.
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    const length = Math.min(n, size);
    return { offset: size - length, length };
  }
  const first = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < first) return null; // invalid: ignored, as RFC 9110 says
  if (first >= size) return 'unsatisfiable';
  return { offset: first, length: last - first + 1 };
}
