import type { Context } from 'hono';
import type { Config, Env } from '../config';

/** Who made an authenticated request. */
export interface Requester {
  userId: string;
  deviceId: string;
  isGuest: boolean;
  admin: boolean;
  /** Account moderation by a server admin (spec: "Account suspension", "Account locking"). */
  suspended: boolean;
  locked: boolean;
  /** SHA-256 of the access token, as stored: identifies the session for logout. */
  tokenHash: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    config: Config;
    requester: Requester;
    /** The server that sent an authenticated federation request. */
    origin: string;
    /** The parsed JSON body of an authenticated federation request (undefined if none). */
    federationBody: unknown;
  };
}

export type Ctx = Context<AppEnv>;
