// Worker entry point: the HTTP application and the Durable Object classes.
import { buildApp } from './app';
import { versionsResponse } from './api/client/versions';
import type { Env } from './config';

export { UserDO } from '../durable-objects/user';
export { RateLimiterDO } from '../durable-objects/rate-limiter';
export { RoomDO } from '../durable-objects/room';
export { DestinationDO } from '../durable-objects/destination';

const app = buildApp();

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    // Clients poll /versions constantly and its answer never changes: it skips the router.
    if (request.method === 'GET' && new URL(request.url).pathname === '/_matrix/client/versions') return versionsResponse();
    return app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
