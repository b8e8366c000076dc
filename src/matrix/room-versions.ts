// Per-room-version properties (spec: "Room Versions" and each rooms/vN page). Algorithms
// branch on these named properties, never on version numbers, so each difference between
// versions is stated once, here.

export type RoomVersionId = '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | '10' | '11' | '12';

export interface RoomVersion {
  readonly id: RoomVersionId;
  /** v1–v2: `$opaque:server` ids carried in the PDU; v3: reference hash, standard base64; v4+: URL-safe. */
  readonly eventIdFormat: 'v1' | 'v3' | 'v4';
  /** v1–v11: `!opaque:server`; v12: the create event's id with `!` (no room_id on the create event). */
  readonly roomIdFormat: 'server' | 'create-event';
  /** v1: original algorithm; v2–v11: state res v2; v12: v2 with the conflicted state subgraph (MSC4297). */
  readonly stateRes: 'v1' | 'v2' | 'v2.1';
  /** v5+: signing keys must be valid at origin_server_ts. */
  readonly enforceKeyValidity: boolean;
  /** v1–v5: auth rule for `m.room.aliases` (sender domain = state_key). */
  readonly specialCaseAliasesAuth: boolean;
  /** v1–v2: auth rule 11, redactions need the redact level or the same event id domain. */
  readonly redactionAuthRule: boolean;
  /** v6+: canonical JSON is enforced on events (no floats, integers in range). */
  readonly strictCanonicalJson: boolean;
  /** v1–v5: power levels may be floats (truncated). */
  readonly floatPowerLevels: boolean;
  /** v1–v9: power levels may be strings holding an integer. */
  readonly stringPowerLevels: boolean;
  /** v10+: every power level field must be a JSON integer (auth rule). */
  readonly integerPowerLevels: boolean;
  /** v6+: `notifications` is checked by the power levels auth rule. */
  readonly limitNotificationsPowerLevels: boolean;
  /** v7+: `knock` join rule and membership. */
  readonly knocking: boolean;
  /** v8+: `restricted` join rule and `join_authorised_via_users_server`. */
  readonly restrictedJoins: boolean;
  /** v10+: `knock_restricted` join rule. */
  readonly knockRestricted: boolean;
  /** v11+: the creator is the create event's sender (no `content.creator`). */
  readonly implicitRoomCreator: boolean;
  /** v11+: `redacts` is in `content` of `m.room.redaction`. */
  readonly redactsInContent: boolean;
  /** v12+: room creators (sender + additional_creators) have infinite power level. */
  readonly roomCreators: boolean;
  /** Largest allowed depth: 2^63-1 before v6, 2^53-1 from v6 (canonical JSON). */
  readonly maxDepth: number;
  readonly redaction: RedactionRules;
}

/** Differences in the redaction algorithm (spec: v1, v6, v8, v9, v11 redaction fragments). */
export interface RedactionRules {
  /** v1–v5: `m.room.aliases` keeps `aliases`. */
  readonly keepAliases: boolean;
  /** v8+: `m.room.join_rules` keeps `allow`. */
  readonly keepJoinRulesAllow: boolean;
  /** v9+: `m.room.member` keeps `join_authorised_via_users_server`. */
  readonly keepJoinAuthorisedVia: boolean;
  /** v11+: the v11 algorithm (drops origin/membership/prev_state; create keeps all content;
   * power levels keep invite; redaction keeps redacts; member keeps third_party_invite.signed). */
  readonly v11: boolean;
}

// 2^63-1 is not representable as a double; the nearest double (2^63) is used as the bound.
const MAX_DEPTH_V1 = 2 ** 63;
const MAX_DEPTH_V6 = Number.MAX_SAFE_INTEGER;

function define(n: number): RoomVersion {
  return Object.freeze({
    id: String(n) as RoomVersionId,
    eventIdFormat: n <= 2 ? 'v1' : n === 3 ? 'v3' : 'v4',
    roomIdFormat: n >= 12 ? 'create-event' : 'server',
    stateRes: n === 1 ? 'v1' : n >= 12 ? 'v2.1' : 'v2',
    enforceKeyValidity: n >= 5,
    specialCaseAliasesAuth: n <= 5,
    redactionAuthRule: n <= 2,
    strictCanonicalJson: n >= 6,
    floatPowerLevels: n <= 5,
    stringPowerLevels: n <= 9,
    integerPowerLevels: n >= 10,
    limitNotificationsPowerLevels: n >= 6,
    knocking: n >= 7,
    restrictedJoins: n >= 8,
    knockRestricted: n >= 10,
    implicitRoomCreator: n >= 11,
    redactsInContent: n >= 11,
    roomCreators: n >= 12,
    maxDepth: n >= 6 ? MAX_DEPTH_V6 : MAX_DEPTH_V1,
    redaction: Object.freeze({
      keepAliases: n <= 5,
      keepJoinRulesAllow: n >= 8,
      keepJoinAuthorisedVia: n >= 9,
      v11: n >= 11,
    }),
  });
}

export const ROOM_VERSIONS: ReadonlyMap<string, RoomVersion> = new Map(
  Array.from({ length: 12 }, (_, i) => {
    const v = define(i + 1);
    return [v.id, v] as const;
  }),
);

/** The version new rooms are created with (spec: servers SHOULD use 12). */
export const DEFAULT_ROOM_VERSION: RoomVersionId = '12';

/** All versions this server supports, for /capabilities (`m.room_versions`). */
export const SUPPORTED_ROOM_VERSIONS: readonly RoomVersionId[] = [...ROOM_VERSIONS.keys()] as RoomVersionId[];

/** The version's properties, or undefined for a version this server does not know. */
export function getRoomVersion(id: string): RoomVersion | undefined {
  return ROOM_VERSIONS.get(id);
}

/** Like getRoomVersion, for callers that already validated the id. */
export function roomVersion(id: string): RoomVersion {
  const v = ROOM_VERSIONS.get(id);
  if (!v) throw new Error(`unknown room version ${id}`);
  return v;
}

/** Room version grammar: 1–32 chars of a-z 0-9 . - (spec: "Room version grammar"). */
export function isValidRoomVersionId(id: string): boolean {
  return /^[a-z0-9.-]{1,32}$/.test(id);
}
