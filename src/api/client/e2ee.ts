// The end-to-end encryption module's routers, gathered for src/app.ts.
import { Hono } from 'hono';
import type { AppEnv } from '../../http/context';
import { e2eKeys } from './keys';
import { roomKeys } from './room-keys';
import { toDevice } from './to-device';

export { DEHYDRATED_DEVICE_BASE, dehydratedDevice } from './dehydrated-device';

/** Keys, cross-signing, key backup and send-to-device, mounted under each client API base. */
export const e2ee = new Hono<AppEnv>().route('/', e2eKeys).route('/', roomKeys).route('/', toDevice);
