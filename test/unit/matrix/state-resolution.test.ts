import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MissingEventsError, resolveState } from '../../../src/matrix/state-resolution/index';
import { stateKey, type StateMap } from '../../../src/matrix/state-map';
import type { JsonObject } from '../../../src/matrix/types';
import { ALICE, BOB, CHARLIE, ELLA, standardRoom, TestRoom, ZARA } from './room-fixture';

const V2_FAMILY = ['2', '6', '10', '11', '12'];

/** Power level users content; v12 creators cannot be listed, so ALICE is dropped there. */
function users(room: TestRoom, levels: Record<string, number>): JsonObject {
  const out = { ...levels };
  if (room.version.roomCreators) delete out[ALICE];
  return { users: out };
}

const member = (sender: string, target: string, membership: string, prev?: string[]) => ({
  type: 'm.room.member',
  sender,
  stateKey: target,
  content: { membership },
  prev,
});
const pl = (room: TestRoom, sender: string, levels: Record<string, number>, prev?: string[]) => ({
  type: 'm.room.power_levels',
  sender,
  stateKey: '',
  content: users(room, levels),
  prev,
});
const topic = (sender: string, text: string, prev?: string[]) => ({
  type: 'm.room.topic',
  sender,
  stateKey: '',
  content: { topic: text },
  prev,
});

describe.each(V2_FAMILY)('state resolution v2 family, room version %s', (rv) => {
  it('ban vs power levels: the ban by the admin beats the banned user\'s power levels change', () => {
    const room = standardRoom(rv, [BOB, CHARLIE, ZARA]);
    room.add('PA', pl(room, ALICE, { [ALICE]: 100, [BOB]: 50 }));
    room.add('MA', member(ALICE, ALICE, 'join', ['PA']));
    room.add('MB', member(ALICE, BOB, 'ban', ['MA']));
    room.add('PB', pl(room, BOB, { [ALICE]: 100, [BOB]: 50 }, ['PA']));
    const state = room.resolve(['MB', 'PB']);
    expect(room.nameIn(state, 'm.room.power_levels')).toBe('PA');
    expect(room.nameIn(state, 'm.room.member', BOB)).toBe('MB');
    expect(room.nameIn(state, 'm.room.member', ALICE)).toBe('MA');
    expect(room.names(state)).toEqual(['CREATE', 'IJR', 'IMC', 'IMZ', 'MA', 'MB', 'PA']);
  });

  it('join rules evasion: a join racing a change to invite-only is dropped', () => {
    const room = standardRoom(rv, [BOB, CHARLIE]);
    room.add('JR', { type: 'm.room.join_rules', sender: ALICE, stateKey: '', content: { join_rule: 'invite' }, prev: ['IMC'] });
    room.add('ME', member(ELLA, ELLA, 'join', ['IMC']));
    const state = room.resolve(['JR', 'ME']);
    expect(room.nameIn(state, 'm.room.join_rules')).toBe('JR');
    expect(state.has(stateKey('m.room.member', ELLA))).toBe(false);
  });

  it('offtopic power levels: a chain of valid changes resolves to its last change', () => {
    const room = standardRoom(rv, [BOB, CHARLIE]);
    room.add('PA', pl(room, ALICE, { [ALICE]: 100, [BOB]: 50 }));
    room.add('PB', pl(room, BOB, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 }));
    room.add('PC', pl(room, CHARLIE, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 0 }));
    const state = room.resolve(['PC', 'PA']);
    expect(room.nameIn(state, 'm.room.power_levels')).toBe('PC');
  });

  it('topic basic: a topic set by someone who lost power is dropped', () => {
    const room = standardRoom(rv, [BOB, CHARLIE]);
    room.add('T1', topic(ALICE, 'one'));
    room.add('PA1', pl(room, ALICE, { [ALICE]: 100, [BOB]: 50 }));
    room.add('T2', topic(ALICE, 'two'));
    room.add('PA2', pl(room, ALICE, { [ALICE]: 100, [BOB]: 0 }));
    room.add('PB', pl(room, BOB, { [ALICE]: 100, [BOB]: 50 }, ['PA1']));
    room.add('T3', topic(BOB, 'three'));
    const state = room.resolve(['PA2', 'T3']);
    expect(room.nameIn(state, 'm.room.power_levels')).toBe('PA2');
    expect(room.nameIn(state, 'm.room.topic')).toBe('T2');
  });

  it('topic reset: a banned user\'s topic does not survive the ban', () => {
    const room = standardRoom(rv, [BOB, CHARLIE]);
    room.add('T1', topic(ALICE, 'one'));
    room.add('PA', pl(room, ALICE, { [ALICE]: 100, [BOB]: 50 }));
    room.add('T2', topic(BOB, 'two'));
    room.add('MB', member(ALICE, BOB, 'ban'));
    const state = room.resolve(['MB', 'T1']);
    expect(room.nameIn(state, 'm.room.topic')).toBe('T1');
    expect(room.nameIn(state, 'm.room.member', BOB)).toBe('MB');
    expect(room.nameIn(state, 'm.room.power_levels')).toBe('PA');
  });

  it('topic: mainline ordering applies the topic based on the newest power levels last', () => {
    const room = standardRoom(rv, [BOB, CHARLIE, ZARA]);
    room.add('T1', topic(ALICE, 'one'));
    room.add('PA1', pl(room, ALICE, { [ALICE]: 100, [BOB]: 50 }));
    room.add('T2', topic(ALICE, 'two'));
    room.add('PA2', pl(room, ALICE, { [ALICE]: 100, [BOB]: 0 }));
    room.add('PB', pl(room, BOB, { [ALICE]: 100, [BOB]: 50 }, ['PA1']));
    room.add('T3', topic(BOB, 'three'));
    room.add('MZ1', { type: 'm.room.message', sender: ZARA, content: { body: 'hi' }, prev: ['PA2', 'T3'] });
    room.add('T4', topic(ALICE, 'four'));
    const state = room.resolve(['T4', 'MZ1']);
    expect(room.nameIn(state, 'm.room.topic')).toBe('T4');
    expect(room.nameIn(state, 'm.room.power_levels')).toBe('PA2');
  });

  it('concurrent power level edits: the admin\'s demotion beats the moderator\'s edit', () => {
    const room = standardRoom(rv, [BOB, CHARLIE]);
    room.add('PA', pl(room, ALICE, { [ALICE]: 100, [BOB]: 50 }));
    room.add('PA2', pl(room, ALICE, { [ALICE]: 100 }, ['PA']));
    room.add('PB', pl(room, BOB, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 }, ['PA']));
    expect(room.nameIn(room.resolve(['PA2', 'PB']), 'm.room.power_levels')).toBe('PA2');
    expect(room.nameIn(room.resolve(['PB', 'PA2']), 'm.room.power_levels')).toBe('PA2');
  });

  it('concurrent joins to a public room both stay', () => {
    const room = standardRoom(rv, [BOB]);
    room.add('MC', member(CHARLIE, CHARLIE, 'join', ['IMB']));
    room.add('ME', member(ELLA, ELLA, 'join', ['IMB']));
    const state = room.resolve(['MC', 'ME']);
    expect(room.nameIn(state, 'm.room.member', CHARLIE)).toBe('MC');
    expect(room.nameIn(state, 'm.room.member', ELLA)).toBe('ME');
  });

  it('is deterministic whatever the order of the state sets', () => {
    const room = standardRoom(rv, [BOB, CHARLIE]);
    room.add('T1', topic(ALICE, 'a', ['IMC']));
    room.add('T2', topic(ALICE, 'b', ['IMC']));
    const a = room.resolve(['T1', 'T2']);
    const b = room.resolve(['T2', 'T1']);
    expect([...a].sort()).toEqual([...b].sort());
    // Same power, same mainline position: the later origin_server_ts is applied last and wins.
    expect(room.nameIn(a, 'm.room.topic')).toBe('T2');
  });
});

describe.each(['7', '10', '12'])('knocking, room version %s', (rv) => {
  it('a knock racing a ban: the ban wins and the knock is dropped', () => {
    const room = standardRoom(rv, [BOB], { joinRule: 'knock' });
    room.add('MK', member(ELLA, ELLA, 'knock', ['IMB']));
    room.add('MB', member(ALICE, ELLA, 'ban', ['IMB']));
    const state = room.resolve(['MK', 'MB']);
    expect(room.nameIn(state, 'm.room.member', ELLA)).toBe('MB');
  });

  it('a knock after an unrelated change survives', () => {
    const room = standardRoom(rv, [BOB], { joinRule: 'knock' });
    room.add('MK', member(ELLA, ELLA, 'knock', ['IMB']));
    room.add('T', topic(ALICE, 'x', ['IMB']));
    const state = room.resolve(['MK', 'T']);
    expect(room.nameIn(state, 'm.room.member', ELLA)).toBe('MK');
    expect(room.nameIn(state, 'm.room.topic')).toBe('T');
  });
});

describe('room version 12 creators', () => {
  function creatorsRoom(): TestRoom {
    const room = new TestRoom('12');
    room.add('CREATE', { type: 'm.room.create', sender: ALICE, stateKey: '', content: { room_version: '12', additional_creators: [BOB] } });
    room.add('IMA', member(ALICE, ALICE, 'join'));
    room.add('IPOWER', { type: 'm.room.power_levels', sender: ALICE, stateKey: '', content: { users: { [CHARLIE]: 100 } } });
    room.add('IJR', { type: 'm.room.join_rules', sender: ALICE, stateKey: '', content: { join_rule: 'public' } });
    room.add('IMB', member(BOB, BOB, 'join'));
    room.add('IMC', member(CHARLIE, CHARLIE, 'join'));
    return room;
  }

  it('an additional creator demoting an admin beats the admin\'s concurrent change', () => {
    const room = creatorsRoom();
    room.add('PC', { type: 'm.room.power_levels', sender: CHARLIE, stateKey: '', content: { users: { [CHARLIE]: 100, [ELLA]: 50 } }, prev: ['IMC'] });
    room.add('PB', { type: 'm.room.power_levels', sender: BOB, stateKey: '', content: { users: { [CHARLIE]: 0 } }, prev: ['IMC'] });
    // Charlie's change is older (smaller origin_server_ts) but Bob's infinite power sorts first.
    const state = room.resolve(['PC', 'PB']);
    expect(room.nameIn(state, 'm.room.power_levels')).toBe('PB');
  });

  it('an admin\'s ban of a creator never applies, even racing', () => {
    const room = creatorsRoom();
    room.add('BAN', member(CHARLIE, BOB, 'ban', ['IMC']));
    room.add('T', topic(BOB, 'creator topic', ['IMC']));
    const state = room.resolve(['BAN', 'T']);
    expect(room.nameIn(state, 'm.room.member', BOB)).toBe('IMB');
    expect(room.nameIn(state, 'm.room.topic')).toBe('T');
  });

  it('two creators editing power levels: equal (infinite) power, the later timestamp wins', () => {
    const room = creatorsRoom();
    room.add('PA', { type: 'm.room.power_levels', sender: ALICE, stateKey: '', content: { users: { [CHARLIE]: 50 } }, prev: ['IMC'] });
    room.add('PB', { type: 'm.room.power_levels', sender: BOB, stateKey: '', content: { users: { [CHARLIE]: 20 } }, prev: ['IMC'] });
    expect(room.nameIn(room.resolve(['PA', 'PB']), 'm.room.power_levels')).toBe('PB');
  });
});

describe('MSC4297 problems: v2 (room v11) vs v2.1 (room v12)', () => {
  function problemA(rv: string) {
    const room = standardRoom(rv, [BOB, CHARLIE]);
    room.add('JR2', { type: 'm.room.join_rules', sender: ALICE, stateKey: '', content: { join_rule: 'invite' } });
    room.add('LA', member(ALICE, ALICE, 'leave'));
    room.add('NB', { ...member(BOB, BOB, 'join', ['LA']), content: { membership: 'join', displayname: 'bob++' } });
    room.add('NC', { ...member(CHARLIE, CHARLIE, 'join', ['LA']), content: { membership: 'join', displayname: 'charlie++' } });
    const set = (names: string[]): StateMap => {
      const m: StateMap = new Map();
      for (const n of names) {
        const e = room.event(n);
        m.set(stateKey(e.pdu.type, e.pdu.state_key!), e.eventId);
      }
      return m;
    };
    const state = resolveState(room.version, {
      stateSets: [set(['CREATE', 'IPOWER', 'IMC', 'JR2', 'LA', 'NB']), set(['CREATE', 'IPOWER', 'IJR', 'IMB', 'LA', 'NC'])],
      events: room.events,
    });
    return { room, state };
  }

  it('problem A, v11: starting from the unconflicted state (alice left) loses every join rules event', () => {
    const { room, state } = problemA('11');
    expect(room.names(state)).toEqual(['CREATE', 'IPOWER', 'LA', 'NB', 'NC']);
  });

  it('problem A, v12: starting from the empty state keeps the invite-only join rules', () => {
    const { room, state } = problemA('12');
    expect(room.names(state)).toEqual(['CREATE', 'IPOWER', 'JR2', 'LA', 'NB', 'NC']);
  });

  function problemB(rv: string) {
    const room = standardRoom(rv, [BOB, CHARLIE]);
    room.add('P1', pl(room, ALICE, { [ALICE]: 100, [BOB]: 50 }));
    room.add('P2', pl(room, BOB, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 }));
    room.add('IMZ', member(ZARA, ZARA, 'join', ['P2']));
    room.add('IME', member(ELLA, ELLA, 'join', ['P2']));
    room.add('NE', { ...member(ELLA, ELLA, 'join', ['IME']), content: { membership: 'join', displayname: 'ella++' } });
    const set = (names: string[]): StateMap => {
      const m: StateMap = new Map();
      for (const n of names) {
        const e = room.event(n);
        m.set(stateKey(e.pdu.type, e.pdu.state_key!), e.eventId);
      }
      return m;
    };
    const state = resolveState(room.version, {
      stateSets: [
        set(['CREATE', 'IMA', 'IPOWER', 'IJR', 'IMB', 'IMC', 'NE']),
        set(['CREATE', 'IMA', 'IJR', 'IMB', 'IMC', 'P2', 'IMZ']),
      ],
      events: room.events,
    });
    return { room, state };
  }

  it('problem B, v11: without the conflicted subgraph the power levels reset to the first event', () => {
    const { room, state } = problemB('11');
    expect(room.nameIn(state, 'm.room.power_levels')).toBe('IPOWER');
    expect(room.names(state)).toEqual(['CREATE', 'IJR', 'IMA', 'IMB', 'IMC', 'IMZ', 'IPOWER', 'NE']);
  });

  it('problem B, v12: the conflicted subgraph keeps the newest valid power levels', () => {
    const { room, state } = problemB('12');
    expect(room.nameIn(state, 'm.room.power_levels')).toBe('P2');
    expect(room.names(state)).toEqual(['CREATE', 'IJR', 'IMA', 'IMB', 'IMC', 'IMZ', 'NE', 'P2']);
  });
});

describe('state resolution v1 (room version 1)', () => {
  const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');

  it('ban vs power levels: power levels resolve first by ascending depth, then memberships', () => {
    const room = standardRoom('1', [BOB, CHARLIE]);
    room.add('PA', pl(room, ALICE, { [ALICE]: 100, [BOB]: 50 }));
    room.add('MB', member(ALICE, BOB, 'ban', ['PA']));
    room.add('PB', pl(room, BOB, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 }, ['PA']));
    const state = room.resolve(['MB', 'PB']);
    // PB is checked against a state without Bob's (conflicted) membership, so it fails.
    expect(room.nameIn(state, 'm.room.power_levels')).toBe('PA');
    expect(room.nameIn(state, 'm.room.member', BOB)).toBe('MB');
  });

  it('other conflicts: the highest depth wins', () => {
    const room = standardRoom('1', [BOB]);
    room.add('T1', topic(ALICE, 'one', ['IMB']));
    room.add('X', { type: 'm.room.message', sender: ALICE, content: {}, prev: ['IMB'] });
    room.add('T2', topic(ALICE, 'two', ['X']));
    expect(room.nameIn(room.resolve(['T1', 'T2']), 'm.room.topic')).toBe('T2');
  });

  it('other conflicts at equal depth: the lowest sha1(event_id) wins', () => {
    const room = standardRoom('1', [BOB]);
    room.add('TA', topic(ALICE, 'a', ['IMB']));
    room.add('TB', topic(ALICE, 'b', ['IMB']));
    const winner = sha1(room.id('TA')) < sha1(room.id('TB')) ? 'TA' : 'TB';
    expect(room.nameIn(room.resolve(['TA', 'TB']), 'm.room.topic')).toBe(winner);
    expect(room.nameIn(room.resolve(['TB', 'TA']), 'm.room.topic')).toBe(winner);
  });

  it('a key missing from one state is not a conflict in v1, but is in v2', () => {
    for (const rv of ['1', '2']) {
      const room = standardRoom(rv, [BOB]);
      room.add('T', topic(BOB, 'by bob who cannot set topics', ['IMB']));
      room.add('X', { type: 'm.room.message', sender: ALICE, content: {}, prev: ['IMB'] });
      const state = room.resolve(['T', 'X']);
      // v1 keeps the unconflicted topic; v2 re-checks it and Bob (level 0 < 50) fails.
      expect(room.nameIn(state, 'm.room.topic')).toBe(rv === '1' ? 'T' : undefined);
    }
  });
});

describe('state resolution input', () => {
  it('reports every missing event at once', () => {
    const room = standardRoom('10', [BOB]);
    room.add('T1', topic(ALICE, 'one', ['IMB']));
    room.add('T2', topic(ALICE, 'two', ['IMB']));
    const events = new Map(room.events);
    events.delete(room.id('T1'));
    events.delete(room.id('IPOWER'));
    try {
      resolveState(room.version, { stateSets: [room.stateAfter.get(room.id('T1'))!, room.stateAfter.get(room.id('T2'))!], events });
      throw new Error('expected MissingEventsError');
    } catch (e) {
      expect(e).toBeInstanceOf(MissingEventsError);
      expect([...(e as MissingEventsError).missing].sort()).toEqual([room.id('T1')]);
    }
  });

  it('a single state or identical states resolve to themselves', () => {
    const room = standardRoom('10', [BOB]);
    const s = room.stateAfter.get(room.id('IMB'))!;
    expect(resolveState(room.version, { stateSets: [s], events: room.events })).toEqual(s);
    expect(resolveState(room.version, { stateSets: [s, new Map(s)], events: room.events })).toEqual(s);
    expect(resolveState(room.version, { stateSets: [], events: room.events })).toEqual(new Map());
  });

  it('rejected events are not used as auth events in the iterative auth checks', () => {
    const room = standardRoom('10', [BOB]);
    room.add('PA', pl(room, ALICE, { [ALICE]: 100, [BOB]: 50 }, ['IMB']));
    room.add('T', topic(BOB, 'needs 50', ['PA']));
    room.add('X', { type: 'm.room.message', sender: ALICE, content: {}, prev: ['IMB'] });
    const sets = [room.stateAfter.get(room.id('T'))!, room.stateAfter.get(room.id('X'))!];
    const normal = resolveState(room.version, { stateSets: sets, events: room.events });
    expect(room.nameIn(normal, 'm.room.power_levels')).toBe('PA');
    expect(room.nameIn(normal, 'm.room.topic')).toBe('T');
    // PA marked rejected: as a conflicted event it is still re-checked and passes (spec:
    // rejected events are handled as usual), but Bob's topic can no longer rely on it as an
    // auth event, so at level 0 he fails the state_default of 50.
    const withRejected = resolveState(room.version, { stateSets: sets, events: room.events, rejected: new Set([room.id('PA')]) });
    expect(room.nameIn(withRejected, 'm.room.power_levels')).toBe('PA');
    expect(room.nameIn(withRejected, 'm.room.topic')).toBeUndefined();
  });
});
