// Filters (spec: Client-Server "Filtering"). The schema is reused wherever a filter is accepted.
import { Hono } from 'hono';
import { z } from 'zod';
import { requireAuth, userObject } from '../../http/auth';
import { body } from '../../http/body';
import type { AppEnv, Ctx } from '../../http/context';
import { forbidden } from '../../http/errors';

const strings = z.array(z.string());
const eventFilter = z
  .object({ limit: z.number().int().min(0).optional(), types: strings.optional(), not_types: strings.optional(), senders: strings.optional(), not_senders: strings.optional() })
  .passthrough();
export const roomEventFilter = eventFilter
  .extend({
    rooms: strings.optional(),
    not_rooms: strings.optional(),
    contains_url: z.boolean().optional(),
    lazy_load_members: z.boolean().optional(),
    include_redundant_members: z.boolean().optional(),
    unread_thread_notifications: z.boolean().optional(),
  })
  .passthrough();
export const filterSchema = z
  .object({
    event_fields: strings.optional(),
    event_format: z.enum(['client', 'federation']).optional(),
    presence: eventFilter.optional(),
    account_data: eventFilter.optional(),
    room: z
      .object({
        rooms: strings.optional(),
        not_rooms: strings.optional(),
        include_leave: z.boolean().optional(),
        ephemeral: roomEventFilter.optional(),
        state: roomEventFilter.optional(),
        timeline: roomEventFilter.optional(),
        account_data: roomEventFilter.optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();
export type Filter = z.infer<typeof filterSchema>;

export const filters = new Hono<AppEnv>();

function owner(c: Ctx, verb: string): string {
  const userId = c.req.param('userId')!;
  if (userId !== c.get('requester').userId) throw forbidden(`Cannot ${verb} filters for other users`);
  return userId;
}

filters.post('/user/:userId/filter', requireAuth({ allowGuests: true }), async (c) => {
  const userId = owner(c, 'create');
  const filter = await body(c, filterSchema);
  return c.json({ filter_id: await userObject(c.env, userId).createFilter(userId, filter) });
});

filters.get('/user/:userId/filter/:filterId', requireAuth({ allowGuests: true }), async (c) => {
  const userId = owner(c, 'read');
  return c.json(await userObject(c.env, userId).getFilter(userId, c.req.param('filterId')));
});
