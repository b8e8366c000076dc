// The shape of events in a sync response as the filter asks (spec: Filter `event_format`,
// `event_fields`).
import type { StoredEvent } from '../../db/queries/rooms';
import { onlyEventFields } from '../../matrix/event-filter';
import { redactEvent } from '../../matrix/redaction';
import type { RoomVersion } from '../../matrix/room-versions';
import type { ClientEvent, JsonObject } from '../../matrix/types';

export interface EventShape {
  format?: 'client' | 'federation';
  fields?: string[];
}

/**
 * Served events in the requested format: `federation` is the event as it travels between servers
 * (redacted if it was), with its id and the same unsigned data the client format carries.
 */
export function shapeEvents(served: ClientEvent[], stored: StoredEvent[], version: RoomVersion, shape: EventShape): JsonObject[] {
  let out: JsonObject[] = served as unknown as JsonObject[];
  if (shape.format === 'federation') {
    const byId = new Map(stored.map((e) => [e.eventId, e]));
    out = served.map((e) => {
      const s = byId.get(e.event_id);
      if (!s) return e as unknown as JsonObject;
      const pdu = e.unsigned?.redacted_because ? redactEvent(s.pdu, version) : (s.pdu as unknown as JsonObject);
      const event: JsonObject = { ...pdu, event_id: e.event_id };
      if (e.unsigned) event.unsigned = e.unsigned;
      return event;
    });
  }
  const { fields } = shape;
  return fields ? out.map((e) => onlyEventFields(e, fields)) : out;
}
