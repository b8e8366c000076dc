// GET /_matrix/client/versions (spec: API Standards, "Supported versions").
import { Hono } from 'hono';
import type { AppEnv } from '../../http/context';
import { CORS_HEADERS } from '../../http/cors';

/** Spec versions whose client-server requirements this server meets for what it implements. */
export const SUPPORTED_VERSIONS = ['v1.1', 'v1.2', 'v1.3', 'v1.4', 'v1.5', 'v1.6', 'v1.7', 'v1.8', 'v1.9', 'v1.10', 'v1.11', 'v1.12'];

/** Unstable features clients look for (spec: unstable_features). */
export const UNSTABLE_FEATURES: Record<string, boolean> = {
  // Simplified sliding sync (MSC4186): matrix-rust-sdk clients (Element X) sync only through it.
  'org.matrix.simplified_msc3575': true,
};

const body = JSON.stringify({ versions: SUPPORTED_VERSIONS, unstable_features: UNSTABLE_FEATURES });

const headers = { 'content-type': 'application/json', ...CORS_HEADERS };
export const versionsResponse = () => new Response(body, { headers });

export const versions = new Hono<AppEnv>();
versions.get('/_matrix/client/versions', versionsResponse);
