// Receipts (MSC3960) and room account data (MSC3959) of rooms that leave an extension's scope and
// come back: what changed while a room was out of the list's window is sent when it returns, and
// nothing already sent is sent twice; a lost response's receipts come again.
import { describe, expect, it } from 'vitest';
import { sendOk } from '../helpers/rooms';
import { putAccountData, receipt, roomWith, users } from '../sync/helpers';
import { listBody, ss } from './helpers';

/** One room in the window (the newest), with receipts and account data scoped to the list. */
const body = listBody({ ranges: [[0, 0]], timeline_limit: 1 }, { extensions: { receipts: { enabled: true, lists: ['all'] }, account_data: { enabled: true, lists: ['all'] } } });

const readers = (content: Record<string, any> | undefined, eventId: string) => Object.keys(content?.[eventId]?.['m.read'] ?? {}).sort();

describe('extensions across scope changes', () => {
  it('sends what changed while a room was out of the window when it comes back, once', async () => {
    const [alice, bob] = await users(2);
    const a = await roomWith(alice, [bob]);
    const b = await roomWith(alice, [bob]);
    const early = await sendOk(alice, a);
    expect((await receipt(alice, a, early)).status).toBe(200);

    const first = await ss(bob, body);
    expect(Object.keys(first.rooms)).toEqual([a]);
    expect(readers(first.extensions.receipts!.rooms[a]?.content, early)).toEqual([alice.userId]);

    // b moves up: a leaves the window. A receipt in b moves the stream on.
    const inB = await sendOk(alice, b);
    expect((await receipt(alice, b, inB)).status).toBe(200);
    const second = await ss(bob, body, { pos: first.pos });
    expect(Object.keys(second.rooms)).toEqual([b]);
    expect(second.extensions.receipts!.rooms[a]).toBeUndefined();

    // While a is out of the window: a receipt and room account data in a, then more in b.
    expect((await receipt(bob, a, early)).status).toBe(200);
    expect((await putAccountData(bob, 'org.example.away', { n: 1 }, a)).status).toBe(200);
    const inB2 = await sendOk(alice, b);
    expect((await receipt(alice, b, inB2)).status).toBe(200);
    const third = await ss(bob, body, { pos: second.pos });
    expect(third.extensions.receipts!.rooms[a]).toBeUndefined();
    expect(third.extensions.account_data!.rooms[a]).toBeUndefined();
    expect(readers(third.extensions.receipts!.rooms[b]?.content, inB2)).toEqual([alice.userId]);

    // a comes back (not new to the connection): what it missed, and not alice's receipt again.
    const late = await sendOk(alice, a);
    const back = await ss(bob, body, { pos: third.pos });
    expect(back.rooms[a]?.initial).toBeUndefined();
    expect(back.extensions.receipts!.rooms[a]?.content).toEqual({ [early]: { 'm.read': { [bob.userId]: { ts: expect.any(Number) } } } });
    expect(back.extensions.account_data!.rooms[a]).toEqual([{ type: 'org.example.away', content: { n: 1 } }]);
    expect(back.extensions.receipts!.rooms[b]).toBeUndefined();

    // In the window from now on: only new changes.
    expect((await receipt(alice, a, late)).status).toBe(200);
    const next = await ss(bob, body, { pos: back.pos });
    expect(next.extensions.receipts!.rooms[a]?.content).toEqual({ [late]: { 'm.read': { [alice.userId]: { ts: expect.any(Number) } } } });
    expect(next.extensions.account_data!.rooms).toEqual({});
    const quiet = await ss(bob, body, { pos: next.pos });
    expect(quiet.extensions.receipts!.rooms).toEqual({});
  });

  it('sends the receipts and account data of a lost response again', async () => {
    const [alice, bob] = await users(2);
    const a = await roomWith(alice, [bob]);
    const event = await sendOk(alice, a);
    const first = await ss(bob, body);
    expect((await receipt(alice, a, event)).status).toBe(200);
    expect((await putAccountData(bob, 'org.example.r', { n: 1 }, a)).status).toBe(200);
    const expected = { [event]: { 'm.read': { [alice.userId]: { ts: expect.any(Number) } } } };
    const lost = await ss(bob, body, { pos: first.pos });
    expect(lost.extensions.receipts!.rooms[a]?.content).toEqual(expected);
    // The client never got `lost`: from `first` again, the same changes come again.
    const retry = await ss(bob, body, { pos: first.pos });
    expect(retry.extensions.receipts!.rooms[a]?.content).toEqual(expected);
    expect(retry.extensions.account_data!.rooms[a]).toEqual([{ type: 'org.example.r', content: { n: 1 } }]);
    const after = await ss(bob, body, { pos: retry.pos });
    expect(after.extensions.receipts!.rooms).toEqual({});
    expect(after.extensions.account_data!.rooms).toEqual({});
  });
});
