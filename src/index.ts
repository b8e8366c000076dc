// Worker entry point: the HTTP application and the Durable Object classes.
import { buildApp } from './app';

export { UserDO } from '../durable-objects/user';
export { RateLimiterDO } from '../durable-objects/rate-limiter';
export { RoomDO } from '../durable-objects/room';

export default buildApp();
