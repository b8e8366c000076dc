// GET /capabilities (spec: Client-Server "Capabilities negotiation").
import { Hono } from 'hono';
import { requireAuth } from '../../http/auth';
import type { AppEnv } from '../../http/context';
import { DEFAULT_ROOM_VERSION, SUPPORTED_ROOM_VERSIONS } from '../../matrix/room-versions';

export const capabilities = new Hono<AppEnv>();

capabilities.get('/capabilities', requireAuth({ allowGuests: true }), (c) => {
  const requester = c.get('requester');
  const caps: Record<string, unknown> = {
    'm.change_password': { enabled: true },
    'm.room_versions': {
      default: DEFAULT_ROOM_VERSION,
      available: Object.fromEntries(SUPPORTED_ROOM_VERSIONS.map((v) => [v, 'stable'])),
    },
    'm.set_displayname': { enabled: true },
    'm.set_avatar_url': { enabled: true },
    'm.3pid_changes': { enabled: false },
    // POST /login/get_token: open to every account but guests (they have no password for its UIA).
    'm.get_login_token': { enabled: !requester.isGuest },
    'm.profile_fields': { enabled: true },
    // v1.18: whether leaving a room (or being kicked or banned) also forgets it (FORGET_ROOMS_ON_LEAVE).
    'm.forget_forced_upon_leave': { enabled: c.get('config').forgetRoomsOnLeave },
  };
  // v1.18: server admins may suspend and lock local accounts; for others the capability is omitted (spec).
  if (requester.admin) caps['m.account_moderation'] = { suspend: true, lock: true };
  return c.json({ capabilities: caps });
});
