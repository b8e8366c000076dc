// The user's global account data that decides which rooms sliding sync serves: m.direct (the is_dm
// filter) and m.invite_permission_config (invite blocking, MSC4380: blocked invites are served
// nowhere). Account data moves the misc stream, so both are read again, in one statement, only
// when its head moved.
import type { Db } from '../../db/client';
import { globalAccountData } from '../../db/queries/sliding-sync';
import { blocksInvites, INVITE_PERMISSION_CONFIG } from '../moderation/invite-permission';

export interface Settings {
  /** Rooms in m.direct (user → room ids; anything else in it is ignored). */
  dms: Set<string>;
  /** Pending invites are not served while this holds. */
  invitesBlocked: boolean;
}

const DIRECT = 'm.direct';

function dmRooms(content: unknown): Set<string> {
  const out = new Set<string>();
  if (content && typeof content === 'object') for (const rooms of Object.values(content)) if (Array.isArray(rooms)) for (const r of rooms) if (typeof r === 'string') out.add(r);
  return out;
}

export class UserSettings {
  #m = -1;
  #settings: Settings = { dms: new Set(), invitesBlocked: false };

  async get(db: Db, userId: string, miscHead: number): Promise<Settings> {
    if (miscHead === this.#m) return this.#settings;
    const content = await globalAccountData(db, userId, [DIRECT, INVITE_PERMISSION_CONFIG]);
    this.#settings = { dms: dmRooms(content.get(DIRECT)), invitesBlocked: blocksInvites(content.get(INVITE_PERMISSION_CONFIG)) };
    this.#m = miscHead;
    return this.#settings;
  }
}
