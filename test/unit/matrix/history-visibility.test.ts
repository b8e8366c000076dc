// The spec's history visibility rules (client-server "History visibility", Server behaviour).
import { describe, expect, it } from 'vitest';
import { allowedByState, historyVisibilityOf, isEventVisible, type HistoryVisibility } from '../../../src/matrix/history-visibility';

const at = (visibility: HistoryVisibility, membership?: string) => ({ visibility, membership });

describe('history visibility', () => {
  it('unknown or missing values are shared', () => {
    expect(historyVisibilityOf(undefined)).toBe('shared');
    expect(historyVisibilityOf({ history_visibility: 'nonsense' })).toBe('shared');
    expect(historyVisibilityOf({ history_visibility: 'joined' })).toBe('joined');
  });

  it('rules 1 to 5', () => {
    expect(allowedByState(at('world_readable'), false)).toBe(true);
    for (const v of ['invited', 'joined', 'shared'] as const) expect(allowedByState(at(v, 'join'), false)).toBe(true);
    expect(allowedByState(at('shared'), true)).toBe(true);
    expect(allowedByState(at('shared'), false)).toBe(false);
    expect(allowedByState(at('shared', 'leave'), false)).toBe(false);
    expect(allowedByState(at('joined'), true)).toBe(false);
    expect(allowedByState(at('invited', 'invite'), false)).toBe(true);
    expect(allowedByState(at('joined', 'invite'), true)).toBe(false);
    expect(allowedByState(at('invited'), true)).toBe(false);
  });

  it('a history_visibility event is visible if the visibility before or after it allows it', () => {
    // shared → joined, seen by someone who joined later.
    expect(isEventVisible({ at: at('joined'), before: at('shared'), joinedAfter: true })).toBe(true);
    expect(isEventVisible({ at: at('joined'), before: at('shared'), joinedAfter: false })).toBe(false);
    // joined → world_readable, by anyone.
    expect(isEventVisible({ at: at('world_readable'), before: at('joined'), joinedAfter: false })).toBe(true);
    expect(isEventVisible({ at: at('joined'), before: at('world_readable'), joinedAfter: false })).toBe(true);
  });

  it('the user’s own member event is visible if the membership before or after it allows it', () => {
    // Leaving a joined-only room.
    expect(isEventVisible({ at: at('joined', 'leave'), before: at('joined', 'join'), joinedAfter: false, ownMembership: true })).toBe(true);
    // Joining one.
    expect(isEventVisible({ at: at('joined', 'join'), before: at('joined'), joinedAfter: false, ownMembership: true })).toBe(true);
    // Rejecting an invite (as Synapse: the user sees the room go).
    expect(isEventVisible({ at: at('joined', 'leave'), before: at('joined', 'invite'), joinedAfter: false, ownMembership: true })).toBe(true);
    // A ban after leaving a joined-only room is not.
    expect(isEventVisible({ at: at('joined', 'ban'), before: at('joined', 'leave'), joinedAfter: false, ownMembership: true })).toBe(false);
  });
});
