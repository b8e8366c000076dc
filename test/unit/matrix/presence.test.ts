// Presence as room mates see it, and which activity refreshes they are woken for.
import { describe, expect, it } from 'vitest';
import { ACTIVE_WITHIN_MS, ACTIVITY_REFRESH_MS, IDLE_AFTER_MS, activityUpdate, presenceContent } from '../../../src/matrix/presence';

describe('presenceContent', () => {
  const now = 10_000_000;
  it('is currently active only while activity is recent, and idle (unavailable) after five minutes', () => {
    expect(presenceContent('online', now - 1000, null, now)).toEqual({ presence: 'online', last_active_ago: 1000, currently_active: true });
    expect(presenceContent('online', now - ACTIVE_WITHIN_MS, 'x', now)).toEqual({ presence: 'online', last_active_ago: ACTIVE_WITHIN_MS, currently_active: false, status_msg: 'x' });
    expect(presenceContent('online', now - IDLE_AFTER_MS - 1, null, now)).toMatchObject({ presence: 'unavailable', currently_active: false });
    expect(presenceContent('offline', now - 5, null, now)).toEqual({ presence: 'offline', last_active_ago: 5 });
    expect(presenceContent('busy', now, null, now).presence).toBe('offline');
  });
});

describe('activityUpdate', () => {
  const t0 = 50_000_000;
  it('tells room mates of a change of state, whatever the time', () => {
    expect(activityUpdate({ state: 'offline', lastActiveTs: t0 }, 'online', t0 + 1)).toBe('notify');
    expect(activityUpdate({ state: 'online', lastActiveTs: t0 }, 'unavailable', t0 + 1)).toBe('notify');
  });

  it('stores nothing for a user active moments ago', () => {
    expect(activityUpdate({ state: 'online', lastActiveTs: t0 }, 'online', t0)).toBe('skip');
    expect(activityUpdate({ state: 'online', lastActiveTs: t0 }, 'online', t0 + ACTIVITY_REFRESH_MS - 1)).toBe('skip');
  });

  it('refreshes a user who stays active without waking room mates, so they never read them as inactive', () => {
    expect(ACTIVITY_REFRESH_MS).toBeLessThan(ACTIVE_WITHIN_MS);
    expect(activityUpdate({ state: 'online', lastActiveTs: t0 }, 'online', t0 + ACTIVITY_REFRESH_MS)).toBe('refresh');
    expect(activityUpdate({ state: 'online', lastActiveTs: t0 }, 'online', t0 + ACTIVE_WITHIN_MS - 1)).toBe('refresh');
  });

  it('tells room mates when a user becomes active again after a pause', () => {
    expect(activityUpdate({ state: 'online', lastActiveTs: t0 }, 'online', t0 + ACTIVE_WITHIN_MS)).toBe('notify');
    expect(activityUpdate({ state: 'unavailable', lastActiveTs: t0 }, 'unavailable', t0 + IDLE_AFTER_MS)).toBe('notify');
  });
});
