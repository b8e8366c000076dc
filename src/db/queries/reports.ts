// Content reports (spec: client-server "Reporting content": rooms, events, users). Each report is one statement that
// stores it only if it is admissible, so that a report of something that does not exist (or that
// the reporter may not see) costs the same single round trip as a real one and answers the same.
import { sql } from 'drizzle-orm';
import type { Db } from '../client';
import { events, reports, roomMemberships, rooms, stateGroupEntries, stateGroups, userReports, users } from '../schema';

/** Stores a room report if the room exists here. */
export async function reportRoom(db: Db, roomId: string, reporter: string, reason: string, now = Date.now()): Promise<void> {
  await db.execute(sql`
    insert into ${reports} (room_id, event_id, reporter, reason, received_ts)
    select ${roomId}, null, ${reporter}, ${reason}, ${now}
    where exists (select 1 from ${rooms} where room_id = ${roomId})`);
}

/**
 * Stores an event report if the reporter is joined to the room and may see the event: it is in
 * the room's timeline, not redacted, and history visibility lets them see it. For a reporter who
 * is joined now, that is (as isEventVisible decides it): the visibility at the event is shared,
 * world_readable (or unknown, which means shared), or they were joined then, or invited under
 * `invited`. Read from the event's state group, as the raw JSON of the two values.
 */
export async function reportEvent(db: Db, roomId: string, eventId: string, reporter: string, reason: string | null, now = Date.now()): Promise<void> {
  await db.execute(sql`
    insert into ${reports} (room_id, event_id, reporter, reason, received_ts)
    select ${roomId}, ${eventId}, ${reporter}, ${reason}, ${now}
    where exists (select 1 from ${roomMemberships} m where m.room_id = ${roomId} and m.user_id = ${reporter} and m.membership = 'join')
      and exists (
        select 1 from ${events} t
        where t.event_id = ${eventId} and t.room_id = ${roomId} and t.stream_pos is not null and t.rejected is null and t.redacted_by is null
          and (
            with recursive chain(id, prev, n) as (
              select g.id, g.prev_group, 0 from ${stateGroups} g where g.id = t.state_group
              union all
              select g.id, g.prev_group, c.n + 1 from ${stateGroups} g join chain c on g.id = c.prev
            ), at_event as (
              select distinct on (s.type) s.type, s.event_id from ${stateGroupEntries} s join chain c on s.group_id = c.id
              where (s.type = 'm.room.history_visibility' and s.state_key = '') or (s.type = 'm.room.member' and s.state_key = ${reporter})
              order by s.type, c.n
            ), v as (
              select
                (select (e.json::json -> 'content' -> 'history_visibility')::text from at_event a join ${events} e on e.event_id = a.event_id
                  where a.type = 'm.room.history_visibility') as hv,
                (select (e.json::json -> 'content' -> 'membership')::text from at_event a join ${events} e on e.event_id = a.event_id
                  where a.type = 'm.room.member') as membership
            )
            select hv is null or hv not in ('"invited"', '"joined"') or membership = '"join"' or (hv = '"invited"' and membership = '"invite"') from v
          )
      )`);
}

/**
 * Stores a user report if the user is known here: a local account or a member (of any membership)
 * of a room this server holds. Otherwise nothing is stored, in the same single statement.
 */
export async function reportUser(db: Db, userId: string, reporter: string, reason: string, now = Date.now()): Promise<void> {
  await db.execute(sql`
    insert into ${userReports} (user_id, reporter, reason, received_ts)
    select ${userId}, ${reporter}, ${reason}, ${now}
    where exists (select 1 from ${users} where user_id = ${userId})
       or exists (select 1 from ${roomMemberships} where user_id = ${userId})`);
}
