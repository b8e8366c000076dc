// The content repository's routes (spec: Content repository): uploads under /_matrix/media (where the
// spec still keeps them), the authenticated endpoints under /_matrix/client/v1/media, and the
// deprecated /_matrix/media/v3 (and r0) download, thumbnail, config and preview paths.
import { Hono } from 'hono';
import type { AppEnv } from '../../http/context';
import { mediaConfig } from './config';
import { authenticatedDownloads, legacyDownloads } from './download';
import { previews } from './preview-url';
import { create, uploads } from './upload';

export const media = new Hono<AppEnv>();

for (const base of ['/_matrix/media/v3', '/_matrix/media/r0']) {
  for (const section of [uploads, legacyDownloads, mediaConfig, previews]) media.route(base, section);
}
media.route('/_matrix/media/v1', create);
for (const section of [authenticatedDownloads, mediaConfig, previews]) media.route('/_matrix/client/v1/media', section);
