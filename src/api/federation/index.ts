// The Server-Server API routers, mounted under /_matrix/federation.
import { Hono } from 'hono';
import type { AppEnv } from '../../http/context';
import { federationEvents } from './events';
import { federationMembership } from './membership';
import { transactions } from './transactions';

export const federation = new Hono<AppEnv>();
federation.route('/v1', transactions);
federation.route('/', federationMembership);
federation.route('/', federationEvents);
