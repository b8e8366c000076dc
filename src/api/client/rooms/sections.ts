// The room directory, discovery, search, reporting and upgrade sections, mounted together:
// `roomSections` under /_matrix/client/v3 (and r0), `roomSectionsV1` under /_matrix/client/v1.
import { Hono } from 'hono';
import type { AppEnv } from '../../../http/context';
import { directory } from './directory';
import { hierarchyApi } from './hierarchy';
import { publicRoomsApi } from './public-rooms';
import { reportApi } from './report';
import { roomSummaryApi } from './room-summary';
import { searchApi } from './search';
import { timestampApi } from './timestamp-to-event';
import { upgradeApi } from './upgrade';

export const roomSections = new Hono<AppEnv>();
for (const section of [directory, publicRoomsApi, searchApi, reportApi, upgradeApi]) roomSections.route('/', section);

export const roomSectionsV1 = new Hono<AppEnv>();
for (const section of [hierarchyApi, roomSummaryApi, timestampApi]) roomSectionsV1.route('/', section);
