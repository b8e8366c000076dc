// Media suite: upload and download throughput (MB/s) of large files, the Worker's memory while it
// streams a 50 MB download, thumbnails of a 2000x2000 JPEG (generated, then served from R2), and
// small authenticated downloads under load next to the hello-world baseline.
// Targets (issue 7): a 50 MB download streams with the Worker's memory growing by less than 10 MB;
// the first thumbnail of a 2000x2000 JPEG takes under one second, and later ones come from R2.
import { readFileSync } from 'node:fs';
import { PhotonImage } from '@cf-wasm/photon';
import { cpuMs } from './lib/cpu.mjs';
import { CONNECTIONS, measure, perConnection } from './lib/load.mjs';
import { registerUsers } from './lib/users.mjs';

const MB = 1024 * 1024;
const BIG = 50 * MB; // the default upload limit, exactly
const UPLOAD_ROUNDS = 4;
const DOWNLOAD_ROUNDS = 4;

/** Resident memory of a process in bytes (Linux), or null. */
function rss(pid) {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

/** Bytes that do not compress into nothing anywhere on the way. */
function payload(size) {
  const out = new Uint8Array(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
    out[i + 1] = (x >>> 8) & 255;
    out[i + 2] = (x >>> 16) & 255;
    out[i + 3] = (x >>> 24) & 255;
  }
  return out;
}

/** A 2000x2000 photo-like JPEG: smooth gradients with fine noise, about 1 MB. */
function photo() {
  const w = 2000;
  const px = new Uint8Array(w * w * 4);
  const noise = payload(w * w);
  for (let y = 0; y < w; y++) {
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const n = noise[i] >> 4;
      px.set([((x * 255) / w + n) & 255, ((y * 255) / w + n) & 255, (((x + y) * 127) / w + n) & 255, 255], i * 4);
    }
  }
  const img = new PhotonImage(px, w, w);
  try {
    return img.get_bytes_jpeg(85);
  } finally {
    img.free();
  }
}

async function upload(baseUrl, token, body, type) {
  const res = await fetch(`${baseUrl}/_matrix/media/v3/upload`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
  const out = await res.json();
  if (res.status !== 200) throw new Error(`upload: ${res.status} ${JSON.stringify(out)}`);
  return out.content_uri.split('/').pop();
}

/** Reads a response to the end without keeping it; returns the byte count. */
async function drain(res) {
  let n = 0;
  for await (const chunk of res.body) n += chunk.byteLength;
  return n;
}

const mbps = (bytes, ms) => bytes / MB / (ms / 1000);

export async function run({ server }) {
  const [uploader, reader] = await registerUsers(server.baseUrl, 'media', 2);
  const auth = (u) => ({ authorization: `Bearer ${u.accessToken}` });
  const media = `${server.baseUrl}/_matrix/client/v1/media`;
  const lines = [];

  // Upload throughput: 50 MB bodies with Content-Length, streamed to R2.
  const big = payload(BIG);
  let started = performance.now();
  let bigId;
  for (let i = 0; i < UPLOAD_ROUNDS; i++) bigId = await upload(server.baseUrl, uploader.accessToken, big, 'application/octet-stream');
  const uploadMbps = mbps(BIG * UPLOAD_ROUNDS, performance.now() - started);
  lines.push(`upload 50 MB x${UPLOAD_ROUNDS}: ${uploadMbps.toFixed(0)} MB/s`);

  // Download throughput, and the Worker process's memory sampled while the body streams.
  const url = `${media}/download/${server.serverName}/${bigId}`;
  await drain(await fetch(url, { headers: auth(reader) })); // warm
  let peakGrowth = 0;
  started = performance.now();
  for (let i = 0; i < DOWNLOAD_ROUNDS; i++) {
    const before = rss(server.pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rss(server.pid) ?? 0)), 5);
    const res = await fetch(url, { headers: auth(reader) });
    const n = await drain(res);
    clearInterval(sampler);
    if (n !== BIG) throw new Error(`download returned ${n} bytes, not ${BIG}`);
    if (before !== null) peakGrowth = Math.max(peakGrowth, peak - before);
  }
  const downloadMbps = mbps(BIG * DOWNLOAD_ROUNDS, performance.now() - started);
  lines.push(`download 50 MB x${DOWNLOAD_ROUNDS}: ${downloadMbps.toFixed(0)} MB/s`);
  const growthMb = peakGrowth / MB;
  lines.push(`workerd resident memory growth while streaming 50 MB: ${(growthMb).toFixed(1)} MB (target < 10 MB) ${growthMb < 10 ? 'met' : 'MISSED'}`);

  // Thumbnails of a 2000x2000 JPEG: the first is rendered (and stored in R2), the rest are read back.
  const jpeg = photo();
  const times = [];
  for (const [w, h, method] of [[320, 240, 'scale'], [96, 96, 'crop'], [800, 600, 'scale']]) {
    const id = await upload(server.baseUrl, uploader.accessToken, jpeg, 'image/jpeg');
    const thumbUrl = `${media}/thumbnail/${server.serverName}/${id}?width=${w}&height=${h}&method=${method}`;
    // Wall time moves with whatever else runs on the machine; the server's CPU time much less.
    const timed = async () => {
      const t = performance.now();
      const cpu = cpuMs(server.pid);
      const res = await fetch(thumbUrl, { headers: auth(reader) });
      const n = await drain(res);
      if (res.status !== 200) throw new Error(`thumbnail: ${res.status}`);
      return { ms: performance.now() - t, cpu: cpu === null ? null : cpuMs(server.pid) - cpu, n };
    };
    const first = await timed();
    const again = [];
    for (let i = 0; i < 10; i++) again.push(await timed());
    again.sort((a, b) => a.ms - b.ms);
    times.push(first);
    const cpu = (r) => (r.cpu === null ? '' : `, ${r.cpu.toFixed(0)} ms cpu`);
    lines.push(
      `thumbnail ${w}x${h} ${method} of a 2000x2000 JPEG (${(jpeg.byteLength / 1024).toFixed(0)} KiB): first ${first.ms.toFixed(0)} ms${cpu(first)} (${first.n} bytes), ` +
        `then from R2 p50 ${again[5].ms.toFixed(1)} ms${cpu(again[5])}`,
    );
  }
  const slowest = times.reduce((a, b) => (b.ms > a.ms ? b : a));
  const verdict = (ms) => (ms < 1000 ? 'met' : 'MISSED');
  lines.push(
    `first thumbnail, slowest of three (target < 1000 ms): ${slowest.ms.toFixed(0)} ms wall ${verdict(slowest.ms)}` +
      (slowest.cpu === null ? '' : `; ${slowest.cpu.toFixed(0)} ms cpu ${verdict(slowest.cpu)} (wall time includes waiting for a busy machine)`),
  );

  // Small authenticated downloads under load: the hot path (token, metadata row, R2 read).
  const small = await upload(server.baseUrl, uploader.accessToken, payload(64 * 1024), 'image/png');
  const users = await registerUsers(server.baseUrl, 'media-readers', CONNECTIONS);
  const smallRow = await measure('GET /v1/media/download 64 KiB', {
    url: `${media}/download/${server.serverName}/${small}`,
    pid: server.pid,
    setupClient: perConnection(users, (u) => ({ headers: auth(u) })),
  });

  console.log('\n== media: throughput, memory, thumbnails');
  for (const line of lines) console.log(`   ${line}`);
  // The absolute targets are printed above; the load row has no ratio target, only its figures.
  return { rows: [smallRow], targets: [] };
}
