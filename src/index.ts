// Worker entry point: the HTTP application and the Durable Object classes.
import { buildApp } from './app';
import { syncResponse } from './api/client/sync';
import { versionsResponse } from './api/client/versions';
import type { Env } from './config';

export { UserDO } from '../durable-objects/user';
export { RateLimiterDO } from '../durable-objects/rate-limiter';
export { RoomDO } from '../durable-objects/room';
export { DestinationDO } from '../durable-objects/destination';

const app = buildApp();

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    // Clients poll /versions and /sync constantly: they skip the router.
    if (request.method === 'GET') {
      const path = new URL(request.url).pathname;
      if (path === '/_matrix/client/versions') return versionsResponse();
      if (path === '/_matrix/client/v3/sync' || path === '/_matrix/client/r0/sync') return syncResponse(request, env);
    }
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
