// Issue 5: "a no-news incremental sync makes no Postgres query". The user's object counts the
// connections it takes from its pool (one per query or transaction); a sync with nothing new,
// filter by stored id and one-time key counts included, must take none. The key counts it serves
// from memory must still follow uploads and claims.
import { env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { UserDO } from '../../../durable-objects/user';
import { call, type TestUser } from '../helpers/client';
import { send } from '../helpers/rooms';
import { makeDevice, oneTimeKeys, uploadOk } from '../e2ee/helpers';
import { roomWith, storeFilter, sync, timelineIds, users } from './helpers';

function dbUses(user: TestUser): Promise<number> {
  const stub = env.USER.get(env.USER.idFromName(user.userId));
  return runInDurableObject(stub, (instance: UserDO) => instance.dbUses);
}

let batch = 0;
/** Uploads `n` signed one-time keys for the user's device (device keys and all, as a client does). */
async function uploadOneTimeKeys(user: TestUser, n: number): Promise<void> {
  const device = await makeDevice(user);
  await uploadOk(user, { one_time_keys: await oneTimeKeys(device, n, `B${batch++}K`) });
}

describe('a sync with nothing new', () => {
  it('makes no database query, with a stored filter and key counts', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    await uploadOneTimeKeys(bob, 3);
    const filter = await storeFilter(bob, { room: { timeline: { limit: 5 } } });
    // Settle: the first syncs mark bob online and read what his object keeps in memory.
    let since = (await sync(bob, { filter })).next_batch;
    since = (await sync(bob, { filter, since })).next_batch;

    const before = await dbUses(bob);
    for (let i = 0; i < 5; i++) {
      const quiet = await sync(bob, { filter, since });
      expect(quiet.next_batch).toBe(since);
      expect(quiet.rooms).toBeUndefined();
      expect(quiet.device_one_time_keys_count).toEqual({ signed_curve25519: 3 });
    }
    expect(await dbUses(bob)).toBe(before);

    // The counter does count: a sync that has news reads the database.
    const id = (await send(alice, roomId, { msgtype: 'm.text', body: 'news' })).body.event_id;
    const news = await sync(bob, { filter, since });
    expect(timelineIds(news, roomId)).toEqual([id]);
    expect(await dbUses(bob)).toBeGreaterThan(before);
  });

  it('serves key counts that follow uploads and claims', async () => {
    const [alice, bob] = await users(2);
    await uploadOneTimeKeys(bob, 2);
    let since = (await sync(bob)).next_batch;
    since = (await sync(bob, { since })).next_batch;
    expect((await sync(bob, { since })).device_one_time_keys_count).toEqual({ signed_curve25519: 2 });

    await uploadOneTimeKeys(bob, 3);
    expect((await sync(bob, { since })).device_one_time_keys_count).toEqual({ signed_curve25519: 5 });

    // Claimed through alice's object: bob's object must forget what it knew.
    const claim = await call('POST', '/_matrix/client/v3/keys/claim', { token: alice.token, body: { one_time_keys: { [bob.userId]: { [bob.deviceId]: 'signed_curve25519' } } } });
    expect(claim.status, JSON.stringify(claim.body)).toBe(200);
    expect(Object.keys(claim.body.one_time_keys[bob.userId][bob.deviceId])).toHaveLength(1);
    const after = await sync(bob, { since });
    expect(after.next_batch).toBe(since);
    expect(after.device_one_time_keys_count).toEqual({ signed_curve25519: 4 });
  });
});
