import type { Context } from 'hono';
import type { Config, Env } from '../config';

/** Who made an authenticated request. */
export interface Requester {
  userId: string;
  deviceId: string;
  isGuest: boolean;
  admin: boolean;
  /** SHA-256 of the access token, as stored: identifies the session for logout. */
  tokenHash: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    config: Config;
    requester: Requester;
  };
}

export type Ctx = Context<AppEnv>;
