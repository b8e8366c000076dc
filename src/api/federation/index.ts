// The Server-Server API routers, mounted under /_matrix/federation.
import { Hono } from 'hono';
import type { AppEnv } from '../../http/context';
import { federationEvents } from './events';
import { federationHierarchy } from './hierarchy';
import { federationMedia } from './media';
import { federationMembership } from './membership';
import { federationPublicRooms } from './public-rooms';
import { federationQueries } from './queries';
import { transactions } from './transactions';
import { federationUser } from './user';

export const federation = new Hono<AppEnv>();
federation.route('/v1', transactions);
federation.route('/', federationMembership);
federation.route('/', federationEvents);
for (const section of [federationQueries, federationUser, federationPublicRooms, federationHierarchy, federationMedia]) federation.route('/v1', section);
