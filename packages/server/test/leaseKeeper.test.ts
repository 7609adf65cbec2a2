import type { ApplyResult, KvOperation, LeaseInfo } from '@holdfast/storage';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LeaseKeeper, LeaseNotFoundError, NotLeaderError } from '../src/index.js';

/** A leader's lease clock over a fake driver, lease table and clock: time moves only when told. */
function keeperFixture(leases: LeaseInfo[]) {
  const state = { role: 'leader' as 'leader' | 'follower', term: 2, nowMs: 0, generation: 1 };
  const proposals: { id: number; atMs: number; settle: (ok: boolean) => void }[] = [];
  const table = new Map(leases.map((lease) => [lease.id, lease]));
  const keeper = new LeaseKeeper({
    driver: {
      get role() {
        return state.role;
      },
      get term() {
        return state.term;
      },
      readBarrier: async () => {},
    },
    stateMachine: {
      leases: () => [...table.values()],
      lease: (id) => table.get(id),
      get leaseGeneration() {
        return state.generation;
      },
    },
    nowMs: () => state.nowMs,
    propose: (operation: KvOperation) =>
      new Promise<ApplyResult>((resolve, reject) => {
        const id = operation.type === 'leaseRevoke' ? operation.id : 0;
        proposals.push({
          id,
          atMs: state.nowMs,
          settle: (ok) => (ok ? resolve({ index: 1, slot: 0, term: state.term, duplicate: false, outcome: { type: 'leaseRevoke', id, keysDeleted: 0, revision: 1 } }) : reject(new Error('timeout'))),
        });
      }),
    deadlineMs: () => state.nowMs + 1000,
    extensionMs: 800,
    logger: pino({ level: 'silent' }),
  });
  const at = (nowMs: number): void => {
    state.nowMs = nowMs;
    keeper.tick();
  };
  const end = (id: number): void => {
    table.delete(id);
    state.generation += 1;
  };
  return { keeper, state, proposals, at, end };
}

describe('the leader lease clock', () => {
  it('gives every lease its TTL plus the extension when it begins to lead, then proposes the expiry once', async () => {
    const f = keeperFixture([{ id: 1, ttlMs: 1000, keys: [] }]);
    f.at(0);
    f.at(1799);
    expect(f.proposals).toEqual([]);
    f.at(1800);
    f.at(1810);
    expect(f.proposals.map((p) => [p.id, p.atMs])).toEqual([[1, 1800]]);
    // Its expiry is under way: no keepalive is taken for it any more.
    await expect(f.keeper.keepAlive(1, 5000)).rejects.toBeInstanceOf(LeaseNotFoundError);
  });

  it('counts the TTL again from a keepalive, and refuses one for a lease not held or off the leader', async () => {
    const f = keeperFixture([{ id: 1, ttlMs: 1000, keys: [] }]);
    f.at(0);
    f.state.nowMs = 1500;
    expect(await f.keeper.keepAlive(1, 5000)).toBe(1000);
    f.at(2499);
    expect(f.proposals).toEqual([]);
    f.at(2500);
    expect(f.proposals.map((p) => p.atMs)).toEqual([2500]);
    await expect(f.keeper.keepAlive(7, 5000)).rejects.toBeInstanceOf(LeaseNotFoundError);
    f.state.role = 'follower';
    await expect(f.keeper.keepAlive(1, 5000)).rejects.toBeInstanceOf(NotLeaderError);
  });

  it('proposes a failed expiry again after its retry time, and forgets a lease that ended', async () => {
    const f = keeperFixture([{ id: 1, ttlMs: 1000, keys: [] }]);
    f.at(0);
    f.at(1800);
    f.proposals[0]!.settle(false);
    await Promise.resolve();
    f.at(3799);
    expect(f.proposals).toHaveLength(1);
    f.at(3800);
    expect(f.proposals).toHaveLength(2);
    f.end(1);
    f.at(10_000);
    expect(f.proposals).toHaveLength(2);
    expect(f.keeper.countedLeases).toBe(0);
  });

  it('starts over with the extension in a new term, and gives a lease it learns of later no less', () => {
    const f = keeperFixture([{ id: 1, ttlMs: 1000, keys: [] }]);
    f.at(0);
    f.state.role = 'follower';
    f.at(1000);
    f.state.role = 'leader';
    f.state.term = 3;
    f.at(1500);
    f.at(3299);
    expect(f.proposals).toEqual([]);
    f.at(3300);
    expect(f.proposals.map((p) => p.atMs)).toEqual([3300]);
  });
});
