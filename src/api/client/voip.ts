// GET /voip/turnServer (spec: client-server "Voice over IP").
import { Hono } from 'hono';
import { requireAuth } from '../../http/auth';
import type { AppEnv } from '../../http/context';
import { ErrCode, MatrixError } from '../../http/errors';
import { turnCredentials } from '../../services/voip/turn';

export const voip = new Hono<AppEnv>();

voip.get('/voip/turnServer', requireAuth({ allowGuests: true }), async (c) => {
  const turn = c.get('config').turn;
  const requester = c.get('requester');
  if (requester.isGuest && turn && !turn.allowGuests) throw new MatrixError(403, ErrCode.GUEST_ACCESS_FORBIDDEN, 'Guests may not use TURN on this server');
  // No TURN server: an empty object, as Synapse answers (clients then call without relay).
  if (!turn) return c.json({});
  return c.json(await turnCredentials(turn, requester.userId));
});
