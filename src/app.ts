// Builds the Hono application: middleware that every request passes, then one router per spec section.
import { Hono } from 'hono';
import { account } from './api/client/account';
import { accountData } from './api/client/account-data';
import { tags } from './api/client/tags';
import { capabilities } from './api/client/capabilities';
import { devices } from './api/client/devices';
import { filters } from './api/client/filter';
import { login } from './api/client/login';
import { profile } from './api/client/profile';
import { register, registerV1 } from './api/client/register';
import { versions } from './api/client/versions';
import { adminModeration } from './api/client/admin-moderation';
import { mutualRooms } from './api/client/mutual-rooms';
import { userReports } from './api/client/reports';
import { keys } from './api/federation/keys';
import { federationVersion } from './api/federation/version';
import { federation } from './api/federation';
import { wellKnown } from './api/well-known';
import { createRoom } from './api/client/rooms/create-room';
import { roomEvents } from './api/client/rooms/events';
import { history } from './api/client/rooms/history';
import { membership } from './api/client/rooms/membership';
import { roomSections, roomSectionsV1 } from './api/client/rooms/sections';
import { media } from './api/media';
import { adminMedia } from './api/admin/media';
import { sync } from './api/client/sync';
import { SLIDING_SYNC_BASE, slidingSync } from './api/client/sliding-sync';
import { typing } from './api/client/typing';
import { receipts } from './api/client/receipts';
import { presence } from './api/client/presence';
import { pushRules } from './api/client/push-rules';
import { pushers } from './api/client/pushers';
import { notifications } from './api/client/notifications';
import { relations } from './api/client/rooms/relations';
import { DEHYDRATED_DEVICE_BASE, dehydratedDevice, e2ee } from './api/client/e2ee';
import { userDirectory } from './api/client/user-directory';
import { voip } from './api/client/voip';
import { openid } from './api/client/openid';
import { thirdParty } from './api/client/thirdparty';
import { loginToken } from './api/client/login-token';
import { federationOpenId } from './api/federation/openid';
import { config } from './config';
import type { AppEnv } from './http/context';
import { cors } from './http/cors';
import { onError } from './http/errors';
import { unrecognizedHandler } from './http/unrecognized';

export function buildApp(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', cors);
  app.use('*', async (c, next) => {
    c.set('config', config(c.env));
    await next();
  });
  app.onError(onError);

  app.route('/', versions);
  app.route('/', wellKnown);
  app.route('/', federationVersion);
  app.route('/', keys);
  app.route('/_matrix/federation', federation);

  // The Client-Server API under v3, and under r0 for older clients, as Synapse serves it.
  for (const base of ['/_matrix/client/v3', '/_matrix/client/r0']) {
    for (const section of [capabilities, register, login, account, devices, profile, accountData, tags, filters, createRoom, membership, roomEvents, history, roomSections, sync, typing, receipts, presence, e2ee, pushRules, pushers, notifications, userDirectory, voip, openid, thirdParty, userReports]) app.route(base, section);
  }
  app.route('/_matrix/client/v1', registerV1);
  app.route('/_matrix/client/v1', loginToken);
  app.route('/', federationOpenId);
  app.route('/_matrix/client/v1', relations);
  app.route(DEHYDRATED_DEVICE_BASE, dehydratedDevice);
  app.route(SLIDING_SYNC_BASE, slidingSync);
  app.route('/_matrix/client/v1', roomSectionsV1);
  for (const section of [adminModeration, mutualRooms]) app.route('/_matrix/client/v1', section);
  app.route('/', media);
  app.route('/_synapse/admin/v1', adminMedia);

  app.notFound(unrecognizedHandler(app));
  return app;
}
