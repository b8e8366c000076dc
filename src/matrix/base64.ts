// Unpadded Base64 (spec appendix "Unpadded Base64") and its URL-safe variant
// (used for event ids from room version 4). Hand-written so the same code runs in
// Node and workerd without Buffer, and so decoding can accept padded and unpadded
// input and non-zero spare bits, as the spec's own test seed has them.

const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const URLSAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function decodeTable(alphabet: string): Int16Array {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}

const STD_DECODE = decodeTable(STD);
const URL_DECODE = decodeTable(URLSAFE);

function encode(bytes: Uint8Array, alphabet: string): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += alphabet[v >> 18] + alphabet[(v >> 12) & 63] + alphabet[(v >> 6) & 63] + alphabet[v & 63];
  }
  const rest = n - i;
  if (rest === 1) {
    const v = bytes[i] << 16;
    out += alphabet[v >> 18] + alphabet[(v >> 12) & 63];
  } else if (rest === 2) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += alphabet[v >> 18] + alphabet[(v >> 12) & 63] + alphabet[(v >> 6) & 63];
  }
  return out;
}

/** Thrown for text that is not base64 of the expected alphabet. */
export class Base64Error extends Error {
  override name = 'Base64Error';
}

function decode(s: string, table: Int16Array, allowPadding: boolean): Uint8Array {
  let len = s.length;
  if (allowPadding) {
    // Accept the padded form too ("Zg==" as well as "Zg"), but only correct padding.
    if (len % 4 === 0 && len > 0) {
      if (s.charCodeAt(len - 1) === 61) len--;
      if (s.charCodeAt(len - 1) === 61) len--;
    }
  }
  if (len % 4 === 1) throw new Base64Error('invalid base64 length');
  const out = new Uint8Array(Math.floor((len * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? table[c] : -1;
    if (v < 0) throw new Base64Error(`invalid base64 character at position ${i}`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Leftover (spare) bits are ignored even when non-zero, like most decoders in the ecosystem.
  return out;
}

/** Standard alphabet, no padding. */
export function encodeBase64(bytes: Uint8Array): string {
  return encode(bytes, STD);
}

/** Standard alphabet; padded or unpadded; throws Base64Error on any invalid character. */
export function decodeBase64(s: string): Uint8Array {
  return decode(s, STD_DECODE, true);
}

/** URL-safe alphabet (RFC 4648 §5), no padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encode(bytes, URLSAFE);
}

/** URL-safe alphabet, unpadded only; throws Base64Error on any invalid character. */
export function decodeBase64Url(s: string): Uint8Array {
  return decode(s, URL_DECODE, false);
}

/** True when `s` is unpadded standard base64 (the spec's `mx-unpadded-base64` format). */
export function isUnpaddedBase64(s: string): boolean {
  return /^[A-Za-z0-9+/]*$/.test(s) && s.length % 4 !== 1;
}

/** True when `s` is unpadded URL-safe base64 (`mx-urlsafe-unpadded-base64`). */
export function isUnpaddedBase64Url(s: string): boolean {
  return /^[A-Za-z0-9_-]*$/.test(s) && s.length % 4 !== 1;
}
