// Invite blocking (spec v1.18: client-server "Invite permission", MSC4380): a user whose
// m.invite_permission_config account data has `default_action: block` receives no invites. Local
// invites and invites from other servers are refused with 403 M_INVITE_BLOCKED, and invites already
// received are not served by /sync while the block lasts.
import type { Db } from '../../db/client';
import { getAccountData } from '../../db/queries/user-data';
import { ErrCode, MatrixError } from '../../matrix/errors';

export const INVITE_PERMISSION_CONFIG = 'm.invite_permission_config';

/** Whether this content blocks invites; any other value (or none) lets them through (spec). */
export function blocksInvites(content: unknown): boolean {
  return typeof content === 'object' && content !== null && (content as Record<string, unknown>).default_action === 'block';
}

export async function invitesBlocked(db: Db, userId: string): Promise<boolean> {
  return blocksInvites(await getAccountData(db, userId, '', INVITE_PERMISSION_CONFIG));
}

/** Throws 403 M_INVITE_BLOCKED if the (local) invitee blocks invites. */
export async function refuseBlockedInvite(db: Db, invitee: string): Promise<void> {
  if (await invitesBlocked(db, invitee)) throw new MatrixError(403, ErrCode.INVITE_BLOCKED, `${invitee} does not accept invites`);
}
