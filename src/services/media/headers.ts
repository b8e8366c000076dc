// Response headers for served media (spec: Content repository, "Serving inline content" and the
// recommended Content-Security-Policy and Cross-Origin-Resource-Policy).

/** The only types the spec allows to be served `inline`; everything else is an `attachment`. */
const INLINE_TYPES = new Set([
  'text/css', 'text/plain', 'text/csv', 'application/json', 'application/ld+json',
  'image/jpeg', 'image/gif', 'image/png', 'image/apng', 'image/webp', 'image/avif',
  'video/mp4', 'video/webm', 'video/ogg', 'video/quicktime',
  'audio/mp4', 'audio/webm', 'audio/aac', 'audio/mpeg', 'audio/ogg', 'audio/wave', 'audio/wav', 'audio/x-wav', 'audio/x-pn-wav', 'audio/flac', 'audio/x-flac',
]);

/** The media type without parameters, lower-cased: `Text/Plain; charset=utf-8` → `text/plain`. */
export const essence = (contentType: string) => contentType.split(';')[0].trim().toLowerCase();

export const isInlineType = (contentType: string) => INLINE_TYPES.has(essence(contentType));

/** RFC 6266: a quoted ASCII `filename`, or RFC 8187 `filename*` when the name needs more. */
export function contentDisposition(disposition: 'inline' | 'attachment', fileName: string | null): string {
  if (fileName === null || fileName === '') return disposition;
  if (/^[\x20-\x7e]*$/.test(fileName) && !/["\\]/.test(fileName)) return `${disposition}; filename="${fileName}"`;
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename*=utf-8''${encoded}`;
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';",
  'x-content-type-options': 'nosniff',
  'cross-origin-resource-policy': 'cross-origin',
  // Media can be deleted or quarantined, and authenticated media must not land in shared caches.
  'cache-control': 'private, max-age=86400',
};

export function mediaHeaders(contentType: string, disposition: string, size: number): Headers {
  const h = new Headers(SECURITY_HEADERS);
  h.set('content-type', contentType);
  h.set('content-disposition', disposition);
  h.set('content-length', String(size));
  return h;
}
