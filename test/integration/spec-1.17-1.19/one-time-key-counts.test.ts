// device_one_time_keys_count (v1.17 clarification): optional only when the device has no unclaimed
// one-time keys. So every /sync response carries it while some exist: initial, incremental with
// nothing new, after a long-poll that timed out, and with a filter that leaves every section out.
import { describe, expect, it } from 'vitest';
import { login, registerUser } from '../helpers/client';
import { createRoom, sendOk } from '../helpers/rooms';
import { claim, makeDevice, oneTimeKeys, uploadOk } from '../e2ee/helpers';
import { sync } from '../sync/helpers';

const EMPTY_FILTER = { room: { rooms: [] }, presence: { types: [] }, account_data: { types: [] } };

describe('device_one_time_keys_count', () => {
  it('is in every sync response while unclaimed keys exist, and follows uploads and claims', async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    const device = await makeDevice(alice);
    expect(await uploadOk(alice, { device_keys: device.keys, one_time_keys: await oneTimeKeys(device, 3) })).toEqual({ one_time_key_counts: { signed_curve25519: 3 } });

    const initial = await sync(alice);
    expect(initial.device_one_time_keys_count).toEqual({ signed_curve25519: 3 });
    // Incremental with nothing new, immediately and after a (short) long-poll that timed out.
    const idle = await sync(alice, { since: initial.next_batch });
    expect(idle.device_one_time_keys_count).toEqual({ signed_curve25519: 3 });
    const waited = await sync(alice, { since: idle.next_batch, timeout: 200 });
    expect(waited.device_one_time_keys_count).toEqual({ signed_curve25519: 3 });
    // A filter that leaves every other section out, and a sync woken by a room event.
    const filtered = await sync(alice, { since: waited.next_batch, filter: EMPTY_FILTER });
    expect(filtered.device_one_time_keys_count).toEqual({ signed_curve25519: 3 });
    await sendOk(alice, await createRoom(alice));
    const woken = await sync(alice, { since: filtered.next_batch, timeout: 1000 });
    expect(woken.device_one_time_keys_count).toEqual({ signed_curve25519: 3 });

    // A claim by another user lowers the count in the next sync, incremental or not.
    const claimed = await claim(bob, { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } });
    expect(claimed.status, JSON.stringify(claimed.body)).toBe(200);
    expect((await sync(alice, { since: woken.next_batch })).device_one_time_keys_count).toEqual({ signed_curve25519: 2 });
    expect((await sync(alice, { full_state: true })).device_one_time_keys_count).toEqual({ signed_curve25519: 2 });
  });

  it('counts the keys of the syncing device only', async () => {
    const alice = await registerUser();
    const device = await makeDevice(alice);
    await uploadOk(alice, { device_keys: device.keys, one_time_keys: await oneTimeKeys(device, 2) });
    const second = await login(alice);
    expect(second.status).toBe(200);
    const s = await sync({ token: second.body.access_token });
    // No unclaimed keys on this device: the field may be left out, and if sent holds no positive count.
    for (const n of Object.values((s.device_one_time_keys_count ?? {}) as Record<string, number>)) expect(n).toBe(0);
    expect((await sync(alice)).device_one_time_keys_count).toEqual({ signed_curve25519: 2 });
  });
});
