// Opaque pagination tokens for the directory, hierarchy and search: JSON in URL-safe base64, so
// they travel in query strings untouched. Each user checks the shape of what it decodes.
import { decodeBase64Url, encodeBase64Url } from '../../matrix/base64';
import { ErrCode, MatrixError } from '../../matrix/errors';

export function base64UrlEncodeJson(value: unknown): string {
  return encodeBase64Url(new TextEncoder().encode(JSON.stringify(value)));
}

export function base64UrlDecodeJson(token: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(decodeBase64Url(token)));
  } catch {
    throw new MatrixError(400, ErrCode.INVALID_PARAM, 'Unknown pagination token');
  }
}
