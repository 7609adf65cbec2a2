import { describe, expect, it } from 'vitest';
import { FENCED_REGISTER_KEY, judgeLeaseRecords, parseWorkloadList, staleTokensAccepted } from '../src/index.js';

const put = (revision: number, token: number) => ({ type: 'put' as const, key: FENCED_REGISTER_KEY, value: `t${token}-w0-${revision}`, revision });

describe('the lock workload judge', () => {
  it('accepts tokens that never go down, and names a stale token written after a newer one', () => {
    expect(staleTokensAccepted([put(5, 3), put(6, 3), put(9, 8), put(10, 8)])).toEqual([]);
    expect(staleTokensAccepted([put(5, 3), put(9, 8), put(11, 3)])).toEqual(['revision 11 wrote token 3 after token 8 at revision 9']);
  });
});

describe('the lease workload judge', () => {
  const record = (lastAnsweredSendMs: number, goneSeenAtMs: number | undefined) => ({
    worker: 0,
    id: 1,
    ttlMs: 1000,
    key: 'coord/lease/0/1',
    lastAnsweredSendMs,
    goneSeenAtMs,
    lastPresentReadAtMs: 0,
  });

  it('fails a key read gone before the last answered keepalive + TTL − the clock step, and one never gone', () => {
    const verdict = judgeLeaseRecords([record(100, 1200), record(100, 1050), record(100, undefined)], 0);
    expect(verdict.early).toHaveLength(1);
    expect(verdict.neverExpired).toHaveLength(1);
    expect(verdict.latenessMs).toMatchObject({ count: 2, max: 100 });
    expect(judgeLeaseRecords([record(100, 1050)], 100).early).toEqual([]);
  });
});

describe('--workload', () => {
  it('takes one key-value workload and the coordination ones', () => {
    expect(parseWorkloadList('lock,lease,register')).toEqual({ kv: 'register', coordination: ['lock', 'lease'] });
    expect(parseWorkloadList('lease')).toEqual({ kv: undefined, coordination: ['lease'] });
    expect(parseWorkloadList('register,watch')).toEqual({ kv: 'register', coordination: ['watch'] });
    expect(() => parseWorkloadList('register,mixed')).toThrow(/do not run together/);
    expect(() => parseWorkloadList('locks')).toThrow(/unknown/);
  });
});
