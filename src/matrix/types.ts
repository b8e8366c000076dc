// The event shapes of the protocol, defined once and shared by every module.
// PDU = the federation form of a room event (spec: server-server "PDUs" and the
// event format section of each room version).

import type { Signatures } from './signing';

export type JsonObject = Record<string, unknown>;

/** Room versions 1 and 2 reference events as [event_id, {sha256: reference hash}]. */
export type EventReference = [eventId: string, hashes: { sha256: string }];

/** Fields common to every PDU format. */
export interface PduCommon {
  type: string;
  /** Present (possibly empty) exactly when this is a state event. */
  state_key?: string;
  sender: string;
  /** Absent only on the `m.room.create` event of room version 12+. */
  room_id?: string;
  origin_server_ts: number;
  content: JsonObject;
  depth: number;
  hashes: { sha256: string; [algorithm: string]: string };
  signatures: Signatures;
  unsigned?: JsonObject;
  /** Top-level `redacts` of `m.room.redaction` up to room version 10 (moved into content in v11). */
  redacts?: string;
  /** Historical, kept by the v1–v10 redaction algorithm and so covered by signatures there. */
  origin?: string;
}

/** Room versions 1 and 2: the event id is carried in the event. */
export interface PduV1 extends PduCommon {
  event_id: string;
  prev_events: EventReference[];
  auth_events: EventReference[];
}

/** Room versions 3 and later: the event id is the reference hash, not carried. */
export interface PduV3 extends PduCommon {
  prev_events: string[];
  auth_events: string[];
}

export type Pdu = PduV1 | PduV3;

/** A PDU not yet hashed or signed (what the event builder fills in). */
export type UnsignedPdu = Omit<PduV3, 'hashes' | 'signatures'> & Partial<Pick<PduV3, 'hashes' | 'signatures'>>;

/** A PDU together with its event id (which v3+ PDUs do not carry). */
export interface RoomEvent {
  readonly eventId: string;
  readonly pdu: Pdu;
}

/** The client-server form of a room event (spec: client-server "Room Event Format"). */
export interface ClientEvent {
  content: JsonObject;
  event_id: string;
  origin_server_ts: number;
  room_id: string;
  sender: string;
  state_key?: string;
  type: string;
  unsigned?: JsonObject;
  /** Served at top level for redactions in every room version, for older clients. */
  redacts?: string;
}

/** A (type, state_key) pair, the key of room state. */
export type StateTuple = readonly [type: string, stateKey: string];

export type Membership = 'join' | 'invite' | 'leave' | 'ban' | 'knock';

export type JoinRule = 'public' | 'invite' | 'knock' | 'restricted' | 'knock_restricted' | 'private';

export const EventType = {
  Create: 'm.room.create',
  Member: 'm.room.member',
  PowerLevels: 'm.room.power_levels',
  JoinRules: 'm.room.join_rules',
  ThirdPartyInvite: 'm.room.third_party_invite',
  Redaction: 'm.room.redaction',
  Aliases: 'm.room.aliases',
  HistoryVisibility: 'm.room.history_visibility',
  Topic: 'm.room.topic',
  Name: 'm.room.name',
  Tombstone: 'm.room.tombstone',
  Message: 'm.room.message',
} as const;

/** Any event object in federation form: a typed PDU or raw JSON not yet validated. */
export type EventJson = JsonObject | Pdu;
