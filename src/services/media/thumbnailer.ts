// Producing a thumbnail image with Photon (Rust's `image` crate compiled to WebAssembly, packaged
// for workerd as @cf-wasm/photon). Decoding holds the whole bitmap in the Worker's memory, so the
// caller checks the pixel count first (MAX_THUMBNAIL_PIXELS). Rendering runs start to end without
// yielding, so one isolate never decodes two images at once.
import type { PhotonImage } from '@cf-wasm/photon';
import type { ImageInfo } from './image-info';
import type { Size } from './thumbnail-plan';

/**
 * Decoding peaks at about 13 bytes a pixel of WebAssembly memory (measured: 54 MB for 2000x2000),
 * and an isolate has 128 MB: 6 megapixels (~80 MB) leaves room for the rest of the Worker.
 */
export const MAX_THUMBNAIL_PIXELS = 6_000_000;

export interface Encoded {
  bytes: Uint8Array;
  contentType: 'image/jpeg' | 'image/png';
  width: number;
  height: number;
}

type Photon = typeof import('@cf-wasm/photon');
/** Loaded on the first thumbnail, not when the isolate starts: most requests never need it. */
let photon: Promise<Photon> | undefined;
export const loadPhoton = () => (photon ??= import('@cf-wasm/photon'));

/** Applies an EXIF orientation (2-8) to a small, already resized image. */
function orient({ fliph, flipv, rotate }: Photon, img: PhotonImage, orientation: number): PhotonImage {
  const turns: Record<number, number> = { 3: 180, 5: 90, 6: 90, 7: 90, 8: 270 };
  let out = img;
  if (turns[orientation]) {
    out = rotate(img, turns[orientation]);
    img.free();
  }
  if (orientation === 2 || orientation === 5) fliph(out);
  if (orientation === 4 || orientation === 7) flipv(out);
  return out;
}

/**
 * Decodes `bytes` (the first frame of an animation), cuts the centred `cropTo` (displayed
 * coordinates) and resizes it to `out`. JPEG stays JPEG; everything else becomes PNG, keeping alpha.
 */
export function renderThumbnail(p: Photon, bytes: Uint8Array, info: ImageInfo, cropTo: Size, out: Size): Encoded {
  const { PhotonImage, SamplingFilter, crop, resize } = p;
  const swap = info.orientation >= 5;
  const c = swap ? { width: cropTo.height, height: cropTo.width } : cropTo;
  const o = swap ? { width: out.height, height: out.width } : out;
  const images: PhotonImage[] = [];
  try {
    const decoded = PhotonImage.new_from_byteslice(bytes);
    images.push(decoded);
    let img = decoded;
    if (c.width < img.get_width() || c.height < img.get_height()) {
      const x = Math.floor((img.get_width() - c.width) / 2);
      const y = Math.floor((img.get_height() - c.height) / 2);
      img = crop(img, x, y, x + c.width, y + c.height);
      images.push(img);
    }
    // Large reductions first pick every n-th pixel down to twice the size, then filter: several
    // times faster than filtering the whole bitmap, and alike to the eye at thumbnail sizes.
    if (img.get_width() > 4 * o.width && img.get_height() > 4 * o.height) {
      img = resize(img, 2 * o.width, 2 * o.height, SamplingFilter.Nearest);
      images.push(img);
    }
    if (o.width !== img.get_width() || o.height !== img.get_height()) {
      img = resize(img, o.width, o.height, SamplingFilter.Triangle);
      images.push(img);
    }
    if (info.orientation !== 1) {
      images.pop();
      img = orient(p, img, info.orientation);
      images.push(img);
    }
    const jpeg = info.format === 'jpeg';
    return {
      bytes: jpeg ? img.get_bytes_jpeg(80) : img.get_bytes(),
      contentType: jpeg ? 'image/jpeg' : 'image/png',
      width: img.get_width(),
      height: img.get_height(),
    };
  } finally {
    for (const img of images) img.free();
  }
}
