// Client-Server calls the suites make to set up their rooms.
export async function api(baseUrl, method, path, token, body) {
  const res = await fetch(`${baseUrl}/_matrix/client/v3${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return text ? JSON.parse(text) : {};
}

/** A public room created by `owner` that every user of `others` has joined. */
export async function sharedRoom(baseUrl, owner, others) {
  const { room_id: roomId } = await api(baseUrl, 'POST', '/createRoom', owner.accessToken, { preset: 'public_chat' });
  for (const u of others) await api(baseUrl, 'POST', `/join/${encodeURIComponent(roomId)}`, u.accessToken, {});
  return roomId;
}
