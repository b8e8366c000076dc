// GET /_matrix/federation/v1/version (spec: Server-Server "Server implementation").
import { Hono } from 'hono';
import type { AppEnv } from '../../http/context';

export const SERVER_SOFTWARE = { name: 'Myelin', version: '0.1.0' };

export const federationVersion = new Hono<AppEnv>();
federationVersion.get('/_matrix/federation/v1/version', (c) => c.json({ server: SERVER_SOFTWARE }));
