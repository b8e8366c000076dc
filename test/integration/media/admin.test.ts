// Media administration with Synapse's admin paths: info, quarantine, protect, delete, per user.
import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { httpDb } from '../../../src/db/client';
import { users } from '../../../src/db/schema';
import { registerUser, type TestUser } from '../helpers/client';
import { download, encode, json, raw, thumbnail, uploadOk } from './helpers';

const ADMIN = '/_synapse/admin/v1';

/** A server admin: the flag is set before the account's first authenticated request. */
async function registerAdmin(): Promise<TestUser> {
  const user = await registerUser();
  await httpDb(env).update(users).set({ admin: true }).where(eq(users.userId, user.userId));
  return user;
}

const adminCall = (admin: TestUser, method: string, path: string) => raw(method, `${ADMIN}${path}`, { token: admin.token });

async function status(res: Response): Promise<number> {
  await res.arrayBuffer();
  return res.status;
}

describe('media admin API', () => {
  it('is for server admins only', async () => {
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, new Uint8Array([1]));
    const refused = await adminCall(alice, 'POST', `/media/quarantine/test.local/${mediaId}`);
    expect(refused.status).toBe(403);
    expect((await json(refused)).errcode).toBe('M_FORBIDDEN');
    const anonymous = await raw('DELETE', `${ADMIN}/media/test.local/${mediaId}`);
    expect(anonymous.status).toBe(401);
    expect((await json(anonymous)).errcode).toBe('M_MISSING_TOKEN');
    expect(await status(await download(alice, mediaId))).toBe(200);
  });

  it('describes a media item', async () => {
    const admin = await registerAdmin();
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, new Uint8Array(12), 'text/plain', 'a.txt');
    const res = await adminCall(admin, 'GET', `/media/test.local/${mediaId}`);
    expect(res.status).toBe(200);
    expect((await json(res)).media_info).toMatchObject({
      media_id: mediaId,
      user_id: alice.userId,
      media_type: 'text/plain',
      media_length: 12,
      upload_name: 'a.txt',
      quarantined_by: null,
      safe_from_quarantine: false,
      authenticated: true,
    });
    expect(await status(await adminCall(admin, 'GET', '/media/test.local/NoSuchMedia'))).toBe(404);
    expect(await status(await adminCall(admin, 'GET', '/media/test.local/bad.id'))).toBe(400);
  });

  it('quarantines an item for everyone, and lifts the quarantine', async () => {
    const admin = await registerAdmin();
    const alice = await registerUser();
    const bob = await registerUser();
    const mediaId = await uploadOk(alice, encode('png', 100, 100), 'image/png');
    const res = await adminCall(admin, 'POST', `/media/quarantine/test.local/${mediaId}`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({});
    for (const user of [alice, bob]) {
      const got = await download(user, mediaId);
      expect(got.status).toBe(404);
      expect((await json(got)).errcode).toBe('M_NOT_FOUND');
      expect(await status(await thumbnail(user, mediaId, 'width=32&height=32'))).toBe(404);
    }
    const info = await json(await adminCall(admin, 'GET', `/media/test.local/${mediaId}`));
    expect(info.media_info.quarantined_by).toBe(admin.userId);

    expect(await status(await adminCall(admin, 'POST', `/media/unquarantine/test.local/${mediaId}`))).toBe(200);
    expect(await status(await download(bob, mediaId))).toBe(200);
    expect(await status(await adminCall(admin, 'POST', '/media/quarantine/test.local/NoSuchMedia'))).toBe(404);
  });

  it('does not quarantine protected media', async () => {
    const admin = await registerAdmin();
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, new Uint8Array([1]));
    expect(await status(await adminCall(admin, 'POST', `/media/protect/${mediaId}`))).toBe(200);
    expect(await status(await adminCall(admin, 'POST', `/media/quarantine/test.local/${mediaId}`))).toBe(200);
    expect(await status(await download(alice, mediaId))).toBe(200);
    const byUser = await json(await adminCall(admin, 'POST', `/user/${encodeURIComponent(alice.userId)}/media/quarantine`));
    expect(byUser).toEqual({ num_quarantined: 0 });
    expect(await status(await adminCall(admin, 'POST', `/media/unprotect/${mediaId}`))).toBe(200);
    expect(await status(await adminCall(admin, 'POST', `/media/quarantine/test.local/${mediaId}`))).toBe(200);
    expect(await status(await download(alice, mediaId))).toBe(404);
  });

  it('quarantines all media of a user', async () => {
    const admin = await registerAdmin();
    const alice = await registerUser();
    const bob = await registerUser();
    const ids = [await uploadOk(alice, new Uint8Array([1])), await uploadOk(alice, new Uint8Array([2]))];
    const bobs = await uploadOk(bob, new Uint8Array([3]));
    const res = await adminCall(admin, 'POST', `/user/${encodeURIComponent(alice.userId)}/media/quarantine`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ num_quarantined: 2 });
    for (const id of ids) expect(await status(await download(bob, id))).toBe(404);
    expect(await status(await download(alice, bobs))).toBe(200);
    expect(await status(await adminCall(admin, 'POST', '/user/%40nobody%3Atest.local/media/quarantine'))).toBe(404);
    expect(await status(await adminCall(admin, 'POST', '/user/%40someone%3Aother.example/media/quarantine'))).toBe(400);
  });

  it('deletes an item: content and thumbnails leave R2', async () => {
    const admin = await registerAdmin();
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, encode('png', 200, 200), 'image/png');
    expect(await status(await thumbnail(alice, mediaId, 'width=32&height=32'))).toBe(200);
    expect((await env.MEDIA.list({ prefix: `thumbnail/${mediaId}/` })).objects.length).toBe(1);
    const res = await adminCall(admin, 'DELETE', `/media/test.local/${mediaId}`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ deleted_media: [mediaId], total: 1 });
    expect(await status(await download(alice, mediaId))).toBe(404);
    expect((await env.MEDIA.list({ prefix: `content/${mediaId}/` })).objects).toHaveLength(0);
    expect((await env.MEDIA.list({ prefix: `thumbnail/${mediaId}/` })).objects).toHaveLength(0);
    expect(await status(await adminCall(admin, 'DELETE', `/media/test.local/${mediaId}`))).toBe(404);
    expect(await status(await adminCall(admin, 'DELETE', `/media/other.example/${mediaId}`))).toBe(400);
  });

  it('lists and deletes all media of a user', async () => {
    const admin = await registerAdmin();
    const alice = await registerUser();
    const ids = [await uploadOk(alice, new Uint8Array([1])), await uploadOk(alice, new Uint8Array([2])), await uploadOk(alice, new Uint8Array([3]))];
    const path = `/users/${encodeURIComponent(alice.userId)}/media`;
    const listed = await json(await adminCall(admin, 'GET', `${path}?limit=2`));
    expect(listed.total).toBe(3);
    expect(listed.media).toHaveLength(2);
    expect(listed.next_token).toBe(2);
    expect(listed.media.map((m: { media_id: string }) => m.media_id)).toEqual([ids[2], ids[1]]); // newest first
    const res = await adminCall(admin, 'DELETE', path);
    const out = await json(res);
    expect(res.status).toBe(200);
    expect(out.total).toBe(3);
    expect([...out.deleted_media].sort()).toEqual([...ids].sort());
    for (const id of ids) expect(await status(await download(alice, id))).toBe(404);
    expect((await json(await adminCall(admin, 'GET', path))).total).toBe(0);
  });
});
