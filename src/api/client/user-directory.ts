// POST /user_directory/search (spec: client-server "User directory").
import { Hono } from 'hono';
import { z } from 'zod';
import { httpDb } from '../../db/client';
import { requireAuth } from '../../http/auth';
import { body } from '../../http/body';
import type { AppEnv } from '../../http/context';
import { searchUsers } from '../../services/directory/search';

export const userDirectory = new Hono<AppEnv>();

const searchBody = z.object({
  search_term: z.string(),
  limit: z.number().int().optional(),
});

/** The spec's default; larger asks are cut to 50, as Synapse does. */
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 50;

userDirectory.post('/user_directory/search', requireAuth(), async (c) => {
  const req = await body(c, searchBody);
  const limit = Math.max(0, Math.min(req.limit ?? DEFAULT_LIMIT, MAX_LIMIT));
  const cfg = c.get('config');
  return c.json(await searchUsers(httpDb(c.env), c.get('requester').userId, req.search_term, limit, cfg.userDirectorySearchAll));
});
