import { describe, expect, it } from 'vitest';
import { DEFAULT_ROOM_VERSION, getRoomVersion, isValidRoomVersionId, roomVersion, SUPPORTED_ROOM_VERSIONS } from '../../../src/matrix/room-versions';

describe('room version table', () => {
  it('supports 1–12 and defaults to 12', () => {
    expect(SUPPORTED_ROOM_VERSIONS).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
    expect(DEFAULT_ROOM_VERSION).toBe('12');
    expect(getRoomVersion('13')).toBeUndefined();
    expect(() => roomVersion('org.example.x')).toThrow(/unknown room version/);
  });

  // Each property against the version that introduced or ended it (spec: rooms/vN).
  const table: [string, (v: ReturnType<typeof roomVersion>) => unknown, Record<string, unknown>][] = [
    ['eventIdFormat', (v) => v.eventIdFormat, { 1: 'v1', 2: 'v1', 3: 'v3', 4: 'v4', 12: 'v4' }],
    ['stateRes', (v) => v.stateRes, { 1: 'v1', 2: 'v2', 11: 'v2', 12: 'v2.1' }],
    ['roomIdFormat', (v) => v.roomIdFormat, { 11: 'server', 12: 'create-event' }],
    ['enforceKeyValidity', (v) => v.enforceKeyValidity, { 4: false, 5: true }],
    ['specialCaseAliasesAuth', (v) => v.specialCaseAliasesAuth, { 5: true, 6: false }],
    ['redactionAuthRule', (v) => v.redactionAuthRule, { 2: true, 3: false }],
    ['strictCanonicalJson', (v) => v.strictCanonicalJson, { 5: false, 6: true }],
    ['floatPowerLevels', (v) => v.floatPowerLevels, { 5: true, 6: false }],
    ['stringPowerLevels', (v) => v.stringPowerLevels, { 9: true, 10: false }],
    ['integerPowerLevels', (v) => v.integerPowerLevels, { 9: false, 10: true }],
    ['limitNotificationsPowerLevels', (v) => v.limitNotificationsPowerLevels, { 5: false, 6: true }],
    ['knocking', (v) => v.knocking, { 6: false, 7: true }],
    ['restrictedJoins', (v) => v.restrictedJoins, { 7: false, 8: true }],
    ['knockRestricted', (v) => v.knockRestricted, { 9: false, 10: true }],
    ['implicitRoomCreator', (v) => v.implicitRoomCreator, { 10: false, 11: true }],
    ['redactsInContent', (v) => v.redactsInContent, { 10: false, 11: true }],
    ['roomCreators', (v) => v.roomCreators, { 11: false, 12: true }],
    ['maxDepth', (v) => v.maxDepth, { 5: 2 ** 63, 6: 2 ** 53 - 1 }],
    ['redaction.keepAliases', (v) => v.redaction.keepAliases, { 5: true, 6: false }],
    ['redaction.keepJoinRulesAllow', (v) => v.redaction.keepJoinRulesAllow, { 7: false, 8: true }],
    ['redaction.keepJoinAuthorisedVia', (v) => v.redaction.keepJoinAuthorisedVia, { 8: false, 9: true }],
    ['redaction.v11', (v) => v.redaction.v11, { 10: false, 11: true }],
  ];
  it.each(table)('%s changes where the spec says', (_name, get, expected) => {
    for (const [rv, value] of Object.entries(expected)) expect(get(roomVersion(rv))).toBe(value);
  });

  it('room version grammar', () => {
    expect(isValidRoomVersionId('1.2-beta')).toBe(true);
    expect(isValidRoomVersionId('org.matrix.msc1234')).toBe(true);
    expect(isValidRoomVersionId('')).toBe(false);
    expect(isValidRoomVersionId('V1')).toBe(false);
    expect(isValidRoomVersionId('a'.repeat(33))).toBe(false);
  });
});
