// Media through matrix-js-sdk: alice uploads a picture and sends it to a room as m.image; bob, a
// member of that room, downloads it and a thumbnail of it from the authenticated media endpoints.
import { PhotonImage } from '@cf-wasm/photon';
import { EventType, MsgType, type MatrixClient } from 'matrix-js-sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { newClient, until } from './lib/clients';

const started: MatrixClient[] = [];
async function start(c: MatrixClient) {
  await c.startClient({ initialSyncLimit: 20 });
  await until('first sync', () => c.isInitialSyncComplete());
  started.push(c);
}
afterAll(() => started.forEach((c) => c.stopClient()));

/** A 640x480 PNG with a red left half and a blue right half. */
function picture(): Uint8Array {
  const width = 640;
  const height = 480;
  const px = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) px.set(i % width < width / 2 ? [255, 0, 0, 255] : [0, 0, 255, 255], i * 4);
  const img = new PhotonImage(px, width, height);
  try {
    return img.get_bytes();
  } finally {
    img.free();
  }
}

async function get(client: MatrixClient, url: string | null): Promise<Response> {
  expect(url).toBeTruthy();
  return fetch(url!, { headers: { authorization: `Bearer ${client.getAccessToken()}` } });
}

describe('media through matrix-js-sdk', () => {
  it('an uploaded image sent as m.image is downloaded and thumbnailed by another member', async () => {
    const alice = await newClient('alice-media');
    const bob = await newClient('bob-media');
    await start(alice);
    await start(bob);

    const { room_id: roomId } = await alice.createRoom({ name: 'Pictures', invite: [bob.getUserId()!] });
    await until('bob sees the invite', () => bob.getRoom(roomId)?.getMyMembership() === 'invite');
    await bob.joinRoom(roomId);

    const png = picture();
    const { content_uri: url } = await alice.uploadContent(new Blob([png], { type: 'image/png' }), { name: 'halves.png', type: 'image/png' });
    expect(url).toMatch(/^mxc:\/\//);
    const { event_id: eventId } = await alice.sendMessage(roomId, {
      msgtype: MsgType.Image,
      body: 'halves.png',
      url,
      info: { mimetype: 'image/png', w: 640, h: 480, size: png.byteLength },
    });

    const event = await until('bob sees the picture', () =>
      bob.getRoom(roomId)?.getLiveTimeline().getEvents().find((e) => e.getId() === eventId),
    );
    expect(event.getType()).toBe(EventType.RoomMessage);
    expect(event.getContent().msgtype).toBe(MsgType.Image);
    const mxc: string = event.getContent().url;
    expect(mxc).toBe(url);

    // Authenticated media only: the SDK builds /_matrix/client/v1/media URLs, which need bob's token.
    const downloadUrl = bob.mxcUrlToHttp(mxc, undefined, undefined, undefined, false, true, true);
    expect(downloadUrl).toContain('/_matrix/client/v1/media/download/');
    expect((await fetch(downloadUrl!)).status).toBe(401);
    const original = await get(bob, downloadUrl);
    expect(original.status).toBe(200);
    expect(original.headers.get('content-type')).toBe('image/png');
    expect(original.headers.get('content-disposition')).toBe('inline; filename="halves.png"');
    expect(new Uint8Array(await original.arrayBuffer())).toEqual(png);

    const thumbnailUrl = bob.mxcUrlToHttp(mxc, 96, 96, 'crop', false, true, true);
    expect(thumbnailUrl).toContain('/_matrix/client/v1/media/thumbnail/');
    const thumb = await get(bob, thumbnailUrl);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/png');
    const decoded = PhotonImage.new_from_byteslice(new Uint8Array(await thumb.arrayBuffer()));
    try {
      expect([decoded.get_width(), decoded.get_height()]).toEqual([96, 96]);
      const px = decoded.get_raw_pixels();
      const at = (x: number, y: number) => [...px.subarray((y * 96 + x) * 4, (y * 96 + x) * 4 + 3)];
      expect(at(10, 48)).toEqual([255, 0, 0]); // the centre crop keeps both halves
      expect(at(86, 48)).toEqual([0, 0, 255]);
    } finally {
      decoded.free();
    }
  });
});
