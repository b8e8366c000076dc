// POST /search (spec: client-server "Server Side Search"): the room_events category.
import { Hono } from 'hono';
import { z } from 'zod';
import { httpDb } from '../../../db/client';
import { requireAuth } from '../../../http/auth';
import { body } from '../../../http/body';
import type { AppEnv } from '../../../http/context';
import type { EventFilterSpec } from '../../../matrix/event-filter';
import { RoomSearch } from '../../../services/rooms/search';
import { roomEventFilter } from '../filter';

export const searchApi = new Hono<AppEnv>();

const count = z.number().int().min(0);
const searchBody = z
  .object({
    search_categories: z
      .object({
        room_events: z
          .object({
            search_term: z.string(),
            keys: z.array(z.enum(['content.body', 'content.name', 'content.topic'])).optional(),
            filter: roomEventFilter.optional(),
            order_by: z.enum(['recent', 'rank']).optional(),
            event_context: z
              .object({ before_limit: count.optional(), after_limit: count.optional(), include_profile: z.boolean().optional() })
              .passthrough()
              .optional(),
            include_state: z.boolean().optional(),
            groupings: z
              .object({ group_by: z.array(z.object({ key: z.enum(['room_id', 'sender']) }).passthrough()).optional() })
              .passthrough()
              .optional(),
          })
          .passthrough()
          .optional(),
      })
      .passthrough(),
  })
  .passthrough();

searchApi.post('/search', requireAuth(), async (c) => {
  const req = await body(c, searchBody);
  const criteria = req.search_categories.room_events;
  const r = c.get('requester');
  if (!criteria) return c.json({ search_categories: {} });
  const search = new RoomSearch(httpDb(c.env), { userId: r.userId, deviceId: r.deviceId });
  const roomEvents = await search.search({ ...criteria, filter: criteria.filter as EventFilterSpec | undefined }, c.req.query('next_batch') || undefined);
  return c.json({ search_categories: { room_events: roomEvents } });
});
