// Editing m.direct changes which rooms the is_dm filter (MSC4186) lets through: the next response
// of a connection has the new list counts, and a parked request returns for the change.
import { describe, expect, it } from 'vitest';
import { putAccountData, roomWith, sleep, users } from '../sync/helpers';
import { ss } from './helpers';

const list = (isDm: boolean) => ({ ranges: [[0, 9]], timeline_limit: 1, required_state: [], filters: { is_dm: isDm } });
const body = { lists: { dms: list(true), rooms: list(false) } };

describe('is_dm after m.direct changes', () => {
  it('moves rooms between the lists in the next response, and wakes a parked request', async () => {
    const [alice, bob] = await users(2);
    const dm = await roomWith(alice, [bob]);
    await roomWith(alice, [bob]);
    const first = await ss(bob, body);
    expect(first.lists).toEqual({ dms: { count: 0 }, rooms: { count: 2 } });

    expect((await putAccountData(bob, 'm.direct', { [alice.userId]: [dm] })).status).toBe(200);
    const next = await ss(bob, body, { pos: first.pos, timeout: 0 });
    expect(next.lists).toEqual({ dms: { count: 1 }, rooms: { count: 1 } });

    // Parked with nothing new, then m.direct emptied: the request returns with the counts.
    const started = Date.now();
    const poll = ss(bob, body, { pos: next.pos, timeout: 20_000 });
    await sleep(300);
    expect((await putAccountData(bob, 'm.direct', {})).status).toBe(200);
    const woken = await poll;
    expect(woken.lists).toEqual({ dms: { count: 0 }, rooms: { count: 2 } });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
