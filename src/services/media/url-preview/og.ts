// Open Graph and HTML metadata of a page (spec: GET /preview_url), read with HTMLRewriter, workerd's
// streaming HTML parser: og:* meta tags, with <title> and the description meta tag as fallbacks.

const MAX_KEYS = 64;
const MAX_VALUE = 1000;

const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Character references in text content, which HTMLRewriter hands over undecoded. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|[a-z]{2,6});/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : Number(ref.slice(1));
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

const clean = (s: string) => decodeEntities(s).replace(/\s+/g, ' ').trim().slice(0, MAX_VALUE);

/** Page bytes as UTF-8, transcoding from the declared charset where the runtime knows it. */
function utf8(bytes: Uint8Array, contentType: string): Uint8Array {
  const charset = /charset\s*=\s*"?([\w-]+)/i.exec(contentType)?.[1]?.toLowerCase();
  if (!charset || charset === 'utf-8' || charset === 'utf8') return bytes;
  try {
    return new TextEncoder().encode(new TextDecoder(charset).decode(bytes));
  } catch {
    return bytes; // unknown charset: read as UTF-8
  }
}

export async function openGraph(bytes: Uint8Array, contentType: string): Promise<Record<string, string>> {
  const og: Record<string, string> = {};
  let title: string | undefined;
  let titleText = '';
  let description: string | undefined;
  const set = (key: string, value: string) => {
    if (!(key in og) && Object.keys(og).length < MAX_KEYS && value !== '') og[key] = value;
  };
  const rewriter = new HTMLRewriter()
    .on('meta', {
      element(e) {
        const key = (e.getAttribute('property') ?? e.getAttribute('name') ?? '').trim();
        const content = e.getAttribute('content');
        if (content === null) return;
        if (key.startsWith('og:')) set(key.slice(0, 100), clean(content));
        else if (key.toLowerCase() === 'description') description ??= clean(content);
      },
    })
    .on('title', {
      text(t) {
        if (title === undefined) titleText += t.text;
        if (t.lastInTextNode) title ??= clean(titleText);
      },
    });
  await rewriter.transform(new Response(utf8(bytes, contentType), { headers: { 'content-type': 'text/html; charset=utf-8' } })).arrayBuffer();
  if (title) set('og:title', title);
  if (description) set('og:description', description);
  return og;
}
