// What an image file is, read from its header without decoding it: format (sniffed, never trusted
// from Content-Type), dimensions, whether it is animated, and the JPEG EXIF orientation. Thumbnailing
// checks these before handing bytes to the decoder, so corrupt or oversized images are refused cheaply.

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export interface ImageInfo {
  format: ImageFormat;
  width: number;
  height: number;
  animated: boolean;
  /** EXIF orientation 1-8 (JPEG only; 1 = as stored). */
  orientation: number;
}

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));
const u16be = (b: Uint8Array, at: number) => (b[at] << 8) | b[at + 1];
const u16le = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8);
const u24le = (b: Uint8Array, at: number) => b[at] | (b[at + 1] << 8) | (b[at + 2] << 16);
const u32be = (b: Uint8Array, at: number) => ((b[at] << 24) >>> 0) + ((b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]);
const u32le = (b: Uint8Array, at: number) => ((b[at + 3] << 24) >>> 0) + ((b[at + 2] << 16) | (b[at + 1] << 8) | b[at]);

function png(b: Uint8Array): ImageInfo | null {
  if (b.length < 33 || ascii(b, 12, 4) !== 'IHDR') return null;
  let animated = false;
  // APNG: an acTL chunk before the first IDAT.
  for (let at = 8; at + 8 <= b.length; ) {
    const type = ascii(b, at + 4, 4);
    if (type === 'acTL') animated = true;
    if (type === 'IDAT' || type === 'IEND') break;
    at += 12 + u32be(b, at);
  }
  return { format: 'png', width: u32be(b, 16), height: u32be(b, 20), animated, orientation: 1 };
}

function gif(b: Uint8Array): ImageInfo | null {
  if (b.length < 13) return null;
  const width = u16le(b, 6);
  const height = u16le(b, 8);
  let at = 13 + (b[10] & 0x80 ? 3 * 2 ** ((b[10] & 7) + 1) : 0);
  const skipSubBlocks = () => {
    while (at < b.length && b[at] !== 0) at += b[at] + 1;
    at += 1;
  };
  let frames = 0;
  while (at < b.length && frames < 2) {
    const block = b[at];
    if (block === 0x21) {
      at += 2;
      skipSubBlocks();
    } else if (block === 0x2c) {
      frames += 1;
      const flags = b[at + 9];
      at += 10 + (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0) + 1;
      skipSubBlocks();
    } else break; // trailer or garbage
  }
  if (frames === 0) return null;
  return { format: 'gif', width, height, animated: frames > 1, orientation: 1 };
}

/** EXIF orientation from an APP1 segment (`Exif\0\0` then a TIFF header), 1 when absent. */
function exifOrientation(b: Uint8Array, start: number, end: number): number {
  if (ascii(b, start, 6) !== 'Exif\0\0') return 1;
  const tiff = start + 6;
  const little = ascii(b, tiff, 2) === 'II';
  const r16 = (at: number) => (little ? u16le(b, at) : u16be(b, at));
  const r32 = (at: number) => (little ? u32le(b, at) : u32be(b, at));
  const ifd = tiff + r32(tiff + 4);
  if (ifd + 2 > end) return 1;
  for (let i = 0, n = r16(ifd); i < n; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) break;
    if (r16(entry) === 0x0112) {
      const v = r16(entry + 8);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

function jpeg(b: Uint8Array): ImageInfo | null {
  let orientation = 1;
  for (let at = 2; at + 4 <= b.length; ) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1];
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = u16be(b, at + 2);
    if (marker === 0xe1) orientation = exifOrientation(b, at + 4, Math.min(b.length, at + 2 + length));
    // Start of frame (baseline, progressive, ...), not DHT (c4), JPG (c8) or DAC (cc).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > b.length) return null;
      return { format: 'jpeg', width: u16be(b, at + 7), height: u16be(b, at + 5), animated: false, orientation };
    }
    if (marker === 0xd9 || marker === 0xda) return null; // end of image or scan before any frame header
    at += 2 + length;
  }
  return null;
}

function webp(b: Uint8Array): ImageInfo | null {
  if (b.length < 30) return null;
  const chunk = ascii(b, 12, 4);
  const d = 20;
  if (chunk === 'VP8 ') {
    if (b[d + 3] !== 0x9d || b[d + 4] !== 0x01 || b[d + 5] !== 0x2a) return null;
    return { format: 'webp', width: u16le(b, d + 6) & 0x3fff, height: u16le(b, d + 8) & 0x3fff, animated: false, orientation: 1 };
  }
  if (chunk === 'VP8L') {
    if (b[d] !== 0x2f) return null;
    const bits = u32le(b, d + 1);
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, animated: false, orientation: 1 };
  }
  if (chunk === 'VP8X') {
    return { format: 'webp', width: u24le(b, d + 4) + 1, height: u24le(b, d + 7) + 1, animated: (b[d] & 0x02) !== 0, orientation: 1 };
  }
  return null;
}

/** The image's header facts, or null when the bytes are not a PNG, JPEG, GIF or WebP we can read. */
export function imageInfo(b: Uint8Array): ImageInfo | null {
  let info: ImageInfo | null = null;
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 7) === 'PNG\r\n\x1a\n') info = png(b);
  else if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) info = jpeg(b);
  else if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) info = gif(b);
  else if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') info = webp(b);
  return info && info.width > 0 && info.height > 0 ? info : null;
}

export const CONTENT_TYPES: Record<ImageFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };
