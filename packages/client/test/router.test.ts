import { describe, expect, it, vi } from 'vitest';
import { RECENT_ANSWER_MS, Router } from '../src/router.js';
import type { StatusResponse__Output as WireStatusResponse } from '@holdfast/protocol';

function ownStatus(options: { memberId: number; leaderId: number; term: number }): WireStatusResponse {
  return {
    header: { clusterId: 'c', memberId: options.memberId, term: options.term, revision: 0 },
    leaderId: options.leaderId,
    placement: null,
    survivesRegionLoss: false,
    layout: '',
    warnings: [],
    members: [
      {
        member: { id: options.memberId, name: '', region: '', clientAddress: '', peerAddress: '', learner: false },
        role: options.memberId === options.leaderId ? 'leader' : 'follower',
        term: options.term,
        leaderId: options.leaderId,
        commitIndex: 0,
        appliedIndex: 0,
        followers: [],
        error: '',
        storeBytes: 0,
        storeBytesMax: 0,
        applyVersionMax: 2,
        clusterVersion: 2,
        alarms: [],
        readsRefused: false,
        repairing: false,
        repairReason: '',
        lastRepair: '',
        peerRtts: [],
        electionTimeoutMs: 400,
        electionSpreadMs: 400,
        readMode: 'read-index',
        leaseRemainingMs: 0,
        keyCount: 0,
        compactRevision: 0,
        historyBytes: 0,
      },
    ],
  };
}

function routerOver(
  views: Record<string, WireStatusResponse | Error>,
  avoided: ReadonlySet<string> = new Set(),
  answerAgesMs: ReadonlyMap<string, number> = new Map(),
): Router {
  const endpoints = Object.keys(views);
  return new Router({
    isAvoided: (address) => avoided.has(address),
    answerAgeMs: (address) => answerAgesMs.get(address),
    endpoints,
    resolveAddress: (advertised) => (endpoints.includes(advertised) ? advertised : undefined),
    askOwnStatus: async (endpoint) => {
      const view = views[endpoint];
      if (view === undefined || view instanceof Error) throw view ?? new Error('no such endpoint');
      return view;
    },
    discoveryIntervalMs: 1000,
    discoveryTimeoutMs: 1000,
  });
}

describe('Router', () => {
  it('starts at the first endpoint and moves to the next when it fails', () => {
    const router = routerOver({ a: new Error('down'), b: new Error('down') });
    expect(router.preferred).toBe('a');
    router.moveAwayFrom('a', undefined);
    expect(router.preferred).toBe('b');
    router.moveAwayFrom('b', undefined);
    expect(router.preferred).toBe('a');
  });

  it('finds the leader from the endpoint views, trusting the highest term', async () => {
    const router = routerOver({
      a: ownStatus({ memberId: 1, leaderId: 1, term: 4 }), // a deposed leader that has not heard yet
      b: ownStatus({ memberId: 2, leaderId: 3, term: 5 }),
      c: ownStatus({ memberId: 3, leaderId: 3, term: 5 }),
    });
    router.maybeDiscoverLeader();
    await vi.waitFor(() => expect(router.preferred).toBe('c'));
    expect(router.knowsLeader).toBe(true);
  });

  it('maps the member that answered a write to its endpoint once discovery has run', async () => {
    const router = routerOver({
      a: ownStatus({ memberId: 1, leaderId: 0, term: 1 }),
      b: ownStatus({ memberId: 2, leaderId: 0, term: 1 }),
    });
    router.maybeDiscoverLeader();
    await vi.waitFor(() => {
      router.noteWriteAnsweredBy(2);
      expect(router.preferred).toBe('b');
    });
  });

  it('ignores a NOT_LEADER hint it may not dial', () => {
    const router = routerOver({ a: new Error('x'), b: new Error('x') });
    expect(router.isNewLeaderHint('10.0.0.9:7001')).toBe(false);
    expect(router.isNewLeaderHint('b')).toBe(true);
    router.followHint('b');
    expect(router.preferred).toBe('b');
    expect(router.isNewLeaderHint('b')).toBe(false);
  });

  it('during a failover, keeps calls off a leader that gave no answer, whatever hints and views name it', async () => {
    const avoided = new Set<string>();
    const router = routerOver(
      {
        a: new Error('dark'), // the old leader, its region dark
        b: ownStatus({ memberId: 2, leaderId: 1, term: 4 }), // a follower that still names it
        c: ownStatus({ memberId: 3, leaderId: 1, term: 4 }),
      },
      avoided,
    );
    router.followHint('a');
    expect(router.preferred).toBe('a');
    // Its attempt timed out: the next calls go to a follower (which forwards or names a leader).
    avoided.add('a');
    expect(router.preferred).toBe('b');
    // A follower's hint still names the old leader: not followed, the call rotates instead.
    expect(router.isNewLeaderHint('a')).toBe(false);
    router.moveAwayFrom('b', 'a');
    expect(router.preferred).toBe('c');
    // Discovery hears the old leader named too: the route stays off it.
    router.maybeDiscoverLeader();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(router.preferred).toBe('c');
    // Once it answers again, it is the leader to use.
    avoided.delete('a');
    expect(router.preferred).toBe('a');
  });

  it('uses the current endpoint when every endpoint is avoided', () => {
    const router = routerOver({ a: new Error('x'), b: new Error('x') }, new Set(['a', 'b']));
    expect(router.preferred).toBe('a');
    router.moveAwayFrom('a', undefined);
    expect(router.preferred).toBe('b');
  });

  it('after NO_LEADER, retries the members that answered lately before one not heard from', () => {
    // a and c answered a moment ago; b (its region dark, say) has not answered at all.
    const ages = new Map([
      ['a', 0],
      ['c', 100],
    ]);
    const down = new Error('x');
    const router = routerOver({ a: down, b: down, c: down }, new Set(), ages);
    router.moveAwayFrom('a', undefined, { noLeader: true });
    expect(router.preferred).toBe('c');
    router.moveAwayFrom('c', undefined, { noLeader: true });
    expect(router.preferred).toBe('a');
    // Each was tried again and still knows no leader: the one not heard from gets its turn
    // (the leader may sit there, the live members on a minority side).
    router.moveAwayFrom('a', undefined, { noLeader: true });
    expect(router.preferred).toBe('b');
    // A timeout there starts over among the live members.
    router.moveAwayFrom('b', undefined);
    expect(router.preferred).toBe('c');
    router.moveAwayFrom('c', undefined, { noLeader: true });
    expect(router.preferred).toBe('a');
  });

  it('after NO_LEADER, retries the same member when it is the only one heard from since the leader failed', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const avoided = new Set<string>();
      const ages = new Map<string, number>();
      const down = new Error('x');
      const router = routerOver({ a: down, b: down, c: down, d: down }, avoided, ages);
      router.followHint('b');
      // c answered a read just before the leader b timed out (both may be behind the same fault).
      vi.advanceTimersByTime(200);
      avoided.add('b');
      router.moveAwayFrom('b', undefined);
      vi.advanceTimersByTime(300);
      ages.set('c', 400);
      ages.set('a', 0);
      router.moveAwayFrom('a', undefined, { noLeader: true });
      expect(router.preferred).toBe('a');
      // Tried again, still no leader: the next member not heard from since, skipping the avoided one.
      router.moveAwayFrom('a', undefined, { noLeader: true });
      expect(router.preferred).toBe('c');
    } finally {
      vi.useRealTimers();
    }
  });

  it('after NO_LEADER, an answer older than RECENT_ANSWER_MS does not count', () => {
    const ages = new Map([
      ['a', 0],
      ['b', RECENT_ANSWER_MS + 1],
    ]);
    const down = new Error('x');
    const router = routerOver({ a: down, b: down, c: down }, new Set(), ages);
    router.moveAwayFrom('a', undefined, { noLeader: true });
    expect(router.preferred).toBe('a');
  });

  it('a leader hint wins over the members that answered lately', () => {
    const ages = new Map([
      ['a', 0],
      ['c', 0],
    ]);
    const down = new Error('x');
    const router = routerOver({ a: down, b: down, c: down }, new Set(), ages);
    router.moveAwayFrom('a', 'b', { noLeader: true });
    expect(router.preferred).toBe('b');
  });
  it('after the leader times out, tries members outside its region before its region mates', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const avoided = new Set<string>();
      const ages = new Map<string, number>();
      const down = new Error('x');
      const router = routerOver({ a: down, b: down, c: down, d: down, e: down }, avoided, ages);
      const member = (id: number, address: string, region: string) => ({ id, name: address, region, clientAddress: address, peerAddress: '', learner: false });
      router.learnMembers([member(1, 'a', 'east'), member(2, 'b', 'east'), member(3, 'c', 'west'), member(4, 'd', 'west'), member(5, 'e', 'eu')]);
      router.followHint('a');
      // Every member answered a probe a second ago; then the leader's region went dark.
      for (const address of ['a', 'b', 'c', 'd', 'e']) ages.set(address, 1000);
      avoided.add('a');
      router.moveAwayFrom('a', undefined);
      expect(router.preferred).toBe('c');
      // c times out too (no verdict): still not b while members elsewhere remain.
      router.moveAwayFrom('c', undefined);
      expect(router.preferred).toBe('d');
      // Once b answers after the leader failed, it counts as reachable again.
      vi.advanceTimersByTime(100);
      ages.set('b', 50);
      router.moveAwayFrom('d', undefined);
      expect(router.preferred).toBe('e');
      router.moveAwayFrom('e', undefined);
      expect(router.preferred).toBe('b');
    } finally {
      vi.useRealTimers();
    }
  });

  it('when only region mates of the leader are left, tries them', () => {
    vi.useFakeTimers({ now: 1_000_000 });
    try {
      const avoided = new Set<string>();
      const down = new Error('x');
      const router = routerOver({ a: down, b: down, c: down }, avoided, new Map());
      const member = (id: number, address: string, region: string) => ({ id, name: address, region, clientAddress: address, peerAddress: '', learner: false });
      router.learnMembers([member(1, 'a', 'east'), member(2, 'b', 'east'), member(3, 'c', 'west')]);
      router.followHint('a');
      avoided.add('a');
      avoided.add('c');
      router.moveAwayFrom('a', undefined);
      expect(router.preferred).toBe('b');
    } finally {
      vi.useRealTimers();
    }
  });

  it('without region labels, a leader timeout moves to the next endpoint as before', () => {
    const down = new Error('x');
    const router = routerOver({ a: down, b: down, c: down }, new Set(['a']), new Map());
    router.followHint('a');
    router.moveAwayFrom('a', undefined);
    expect(router.preferred).toBe('b');
  });
});
