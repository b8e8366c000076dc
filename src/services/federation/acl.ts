// Server ACLs on requests that concern a room but do not pass through the room's object (spec:
// server-server "Server Access Control Lists (ACLs)"): EDUs of a room and queries naming one read
// the room's current m.room.server_acl from Postgres.
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { events, roomState } from '../../db/schema';
import { serverAllowedByAcl } from '../../matrix/server-acl';
import type { JsonObject } from '../../matrix/types';

/** Of the given rooms, those whose ACL bans `server` (rooms without an ACL, or unknown, ban nobody). */
export async function roomsBanning(db: Db, roomIds: string[], server: string): Promise<Set<string>> {
  if (roomIds.length === 0) return new Set();
  const r = (await db.execute(sql`
    select s.room_id, e.json from ${roomState} s join ${events} e on e.event_id = s.event_id
    where s.room_id = any(${sql.param(roomIds)}::text[]) and s.type = 'm.room.server_acl' and s.state_key = ''`)) as unknown as { rows: { room_id: string; json: string }[] };
  const banned = new Set<string>();
  for (const row of r.rows) {
    const content = (JSON.parse(row.json) as { content?: JsonObject }).content;
    if (!serverAllowedByAcl(content, server)) banned.add(row.room_id);
  }
  return banned;
}

export async function serverAllowedInRoom(db: Db, roomId: string, server: string): Promise<boolean> {
  return !(await roomsBanning(db, [roomId], server)).has(roomId);
}
