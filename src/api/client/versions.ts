// GET /_matrix/client/versions (spec: API Standards, "Supported versions").
import { Hono } from 'hono';
import type { AppEnv } from '../../http/context';
import { CORS_HEADERS } from '../../http/cors';

/**
 * Spec versions whose client-server requirements this server meets for what it implements: every
 * v1.x up to the newest, v1.19 (test/integration/spec-1.17-1.19/versions.test.ts). Not r0.x:
 * versions list what clients may rely on, and r0 endpoints removed since then are not served.
 */
export const SUPPORTED_VERSIONS = Array.from({ length: 19 }, (_, i) => `v1.${i + 1}`);

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
