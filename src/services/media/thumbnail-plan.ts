// Thumbnail geometry (spec: Content repository, "Thumbnails"). `scale` fits the image within the
// requested box keeping its aspect ratio; `crop` fills the box and cuts the overflow from the centre.
// Never upscaled; an image already within the box is served as it is.

export type ThumbnailMethod = 'crop' | 'scale';

export interface Size {
  width: number;
  height: number;
}

export type Plan =
  | { kind: 'original' }
  /** Cut `crop` (centred, in displayed coordinates) out of the image, then resize it to `out`. */
  | { kind: 'resize'; crop: Size; out: Size };

export function planThumbnail(src: Size, box: Size, method: ThumbnailMethod): Plan {
  if (src.width <= box.width && src.height <= box.height) return { kind: 'original' };
  if (method === 'scale') {
    const f = Math.min(box.width / src.width, box.height / src.height);
    return { kind: 'resize', crop: src, out: { width: Math.max(1, Math.round(src.width * f)), height: Math.max(1, Math.round(src.height * f)) } };
  }
  // Scale down (never up) until the box is covered, then keep the box's worth from the centre.
  const f = Math.min(1, Math.max(box.width / src.width, box.height / src.height));
  const out = { width: Math.min(box.width, Math.max(1, Math.round(src.width * f))), height: Math.min(box.height, Math.max(1, Math.round(src.height * f))) };
  const crop = { width: Math.min(src.width, Math.round(out.width / f)), height: Math.min(src.height, Math.round(out.height / f)) };
  return { kind: 'resize', crop, out };
}

/** The displayed size of an image whose EXIF orientation swaps its axes (5-8). */
export const displayed = (stored: Size, orientation: number): Size =>
  orientation >= 5 ? { width: stored.height, height: stored.width } : stored;
