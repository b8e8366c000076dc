// Media ids and the server names of mxc:// URIs (spec: Content repository, "Matrix Content (mxc://)
// URIs" and its security considerations): paths are validated before anything touches storage.
import { invalidParam, notFound } from '../../http/errors';
import { checkServerName } from '../../matrix/ids';
import { ALPHANUMERIC, randomString } from '../../matrix/random';

/** Media ids are opaque; ours are 24 random alphanumerics (~143 bits). */
export const newMediaId = () => randomString(ALPHANUMERIC, 24);

const MEDIA_ID = /^[A-Za-z0-9_-]+$/;
export const MAX_MEDIA_ID_LENGTH = 255;

export function checkMediaId(mediaId: string): string {
  if (mediaId.length > MAX_MEDIA_ID_LENGTH) throw invalidParam(`Media id is longer than ${MAX_MEDIA_ID_LENGTH} characters`);
  if (!MEDIA_ID.test(mediaId)) throw invalidParam('Media id may only contain A-Z, a-z, 0-9, "_" and "-"');
  return mediaId;
}

/** Validates `serverName` and `mediaId` from a path. */
export function checkServerMediaId(serverName: string, mediaId: string): { serverName: string; mediaId: string } {
  const reason = checkServerName(serverName);
  if (reason !== null) throw invalidParam(`Invalid server name: ${reason}`);
  checkMediaId(mediaId);
  return { serverName, mediaId };
}

/** Validates `serverName` and `mediaId` from a path and requires the media to be ours (uploads). */
export function localMediaId(serverName: string, mediaId: string, ourServerName: string): string {
  checkServerMediaId(serverName, mediaId);
  if (serverName !== ourServerName) throw notFound('Media of other servers cannot be uploaded here');
  return mediaId;
}

export const mxcUri = (serverName: string, mediaId: string) => `mxc://${serverName}/${mediaId}`;
