// Server discovery documents (spec: Client-Server "Well-known URIs", Server-Server "Resolving server names").
import { Hono } from 'hono';
import type { AppEnv } from '../http/context';

export const wellKnown = new Hono<AppEnv>();

wellKnown.get('/.well-known/matrix/client', (c) => {
  const cfg = c.get('config');
  return c.json({ 'm.homeserver': { base_url: cfg.publicBaseUrl } });
});

wellKnown.get('/.well-known/matrix/server', (c) => {
  const cfg = c.get('config');
  // Without delegation, federation is served on this host at its default port (8448 for a bare
  // name) or at the port the server name carries.
  const delegated = cfg.wellKnownServer ?? (/:\d+$/.test(cfg.serverName) ? cfg.serverName : `${cfg.serverName}:443`);
  return c.json({ 'm.server': delegated });
});
