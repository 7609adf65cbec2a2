/** Which voters let a leader in lease mode hold a lease (driver/lease-terms.ts), and what status says of mixed modes. */
import { describe, expect, it } from 'vitest';
import { readModeWarnings } from '../src/clusterService.js';
import { leaseRefusal, ownReadTerms } from '../src/driver/lease-terms.js';
import type { ReadTerms } from '../src/peerLink/frames.js';

const own = ownReadTerms({ readMode: 'lease', electionTicks: 40, tickMs: 10, clockDriftMaxPercent: 5 });
const lease = (overrides: Partial<ReadTerms> = {}): ReadTerms => ({ ...own, ...overrides });

describe('a read lease at a leader in lease mode', () => {
  it('is allowed once every other voter told lease mode with a wait at least the lease assumes and the same drift bound', () => {
    expect(own.campaignWaitMs).toBe(380);
    const heard = new Map<number, ReadTerms | undefined>([
      [2, lease()],
      [3, lease({ campaignWaitMs: 1000 })],
    ]);
    expect(leaseRefusal({ selfId: 1, own, voters: [1, 2, 3], heard })).toBeUndefined();
  });

  it('is refused, naming the voter, for each way a voter does not keep its side', () => {
    const refusalWith = (terms: ReadTerms | undefined, told = true): string | undefined => {
      const heard = new Map<number, ReadTerms | undefined>([[2, lease()]]);
      if (told) heard.set(3, terms);
      return leaseRefusal({ selfId: 1, own, voters: [1, 2, 3], heard });
    };
    expect(refusalWith(undefined, false)).toMatch(/member 3 has not yet told its read mode/);
    expect(refusalWith(undefined)).toMatch(/member 3 runs a release that does not tell/);
    expect(refusalWith(lease({ readMode: 'read-index' }))).toMatch(/member 3 runs --read-mode read-index, not lease/);
    expect(refusalWith(lease({ campaignWaitMs: 379 }))).toMatch(/member 3 waits 379 ms before campaigning, less than the 380 ms/);
    expect(refusalWith(lease({ clockDriftMaxPercent: 10 }))).toMatch(/member 3 runs --clock-drift-max-percent 10, this member 5/);
  });

  it('looks only at voters: a learner in read-index mode does not stop it', () => {
    const heard = new Map<number, ReadTerms | undefined>([
      [2, lease()],
      [4, lease({ readMode: 'read-index' })],
    ]);
    expect(leaseRefusal({ selfId: 1, own, voters: [1, 2], heard })).toBeUndefined();
  });
});

describe('status warnings about read modes', () => {
  const member = (id: number, readMode: string, electionTimeoutMs = 400) =>
    ({ member: { id }, readMode, electionTimeoutMs }) as Parameters<typeof readModeWarnings>[0][number];

  it('names the members of each mode when they differ, and differing timeouts in lease mode', () => {
    expect(readModeWarnings([member(1, 'lease'), member(2, 'lease'), member(3, 'read-index')])).toEqual([
      expect.stringMatching(/members run different read modes \(lease on 1,2; read-index on 3\)/),
    ]);
    expect(readModeWarnings([member(1, 'lease'), member(2, 'lease', 300)])).toEqual([expect.stringMatching(/different election timeouts \(1: 400 ms, 2: 300 ms\)/)]);
  });

  it('says nothing when the members agree, or of a member that did not answer', () => {
    expect(readModeWarnings([member(1, 'lease'), member(2, 'lease'), member(3, '')])).toEqual([]);
    expect(readModeWarnings([member(1, 'read-index', 400), member(2, 'read-index', 300)])).toEqual([]);
  });
});
