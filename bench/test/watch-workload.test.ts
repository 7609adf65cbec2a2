import { describe, expect, it } from 'vitest';
import type { WatchedChange } from '../src/watch-check.js';
import { judgeWatchSessions, type WatchSession, watchSessionFailures } from '../src/watch-workload.js';

const change = (key: string, value: string, revision: number, prev?: [string, number]): WatchedChange => ({
  type: 'put',
  key,
  value,
  revision,
  ...(prev === undefined ? {} : { prev: { value: prev[0], modRevision: prev[1] } }),
});

/** The watch over every key: register and coordination keys interleaved. */
const REFERENCE: WatchedChange[] = [
  change('r/0/0', 'a', 1),
  change('coord/x', 'c', 2),
  change('r/0/0', 'b', 3, ['a', 1]),
  change('r/1/0', 'd', 4),
  change('coord/x', 'e', 5, ['c', 2]),
  change('r/0/0', 'f', 6, ['b', 3]),
];

const session = (prefix: string, startRevision: number, endRevision: number, changes: WatchedChange[]): WatchSession => ({
  worker: 0,
  prefix,
  startRevision,
  endRevision,
  changes,
});

describe('the watch workload judge', () => {
  it('passes sessions that told exactly the reference for their prefix and revisions', () => {
    const verdict = judgeWatchSessions({
      sessions: [
        session('r/', 3, 6, [REFERENCE[2], REFERENCE[3], REFERENCE[5]] as WatchedChange[]),
        session('coord/', 1, 4, [REFERENCE[1]] as WatchedChange[]),
        session('', 5, 4, []),
        // Reaches past what the reference told: not judged.
        session('r/', 6, 9, [REFERENCE[5], change('r/0/0', 'z', 9)] as WatchedChange[]),
      ],
      reference: REFERENCE,
      referenceEndRevision: 6,
      startBehind: [3, 0, 7],
    });
    expect(verdict).toMatchObject({ sessions: 4, judged: 3, changes: 4, differingCount: 0, errorCount: 0, startBehindMax: 7 });
    expect(watchSessionFailures(verdict)).toEqual([]);
  });

  it('fails a session with a gap, an extra change, or another prevKv', () => {
    const gap = session('r/', 1, 6, [REFERENCE[0], REFERENCE[2], REFERENCE[5]] as WatchedChange[]);
    const extra = session('coord/', 2, 5, [REFERENCE[1], REFERENCE[4], change('coord/y', 'q', 5)] as WatchedChange[]);
    const wrongPrev = session('r/', 6, 6, [change('r/0/0', 'f', 6, ['a', 1])]);
    for (const bad of [gap, extra, wrongPrev]) {
      const verdict = judgeWatchSessions({ sessions: [bad], reference: REFERENCE, referenceEndRevision: 6 });
      expect(verdict.differingCount).toBe(1);
      expect(watchSessionFailures(verdict)[0]).toMatch(/^watch: 1 watch session\(s\) told other changes/);
    }
    expect(judgeWatchSessions({ sessions: [gap], reference: REFERENCE, referenceEndRevision: 6 }).differing[0]).toContain(
      "change 3 told put r/0/0=\"f\"@6 (prevKv \"b\"@3), the watch over every key told put r/1/0=\"d\"@4 (no prevKv)",
    );
  });

  it('fails a session that ended on an error, and a run where none could be judged', () => {
    const broken = { ...session('r/', 1, 0, []), error: 'WatchCompactedError: compacted' };
    expect(watchSessionFailures(judgeWatchSessions({ sessions: [broken], reference: REFERENCE, referenceEndRevision: 6 }))).toEqual([
      "watch: 1 watch session(s) ended on an error: worker 0 prefix 'r/' from 1: WatchCompactedError: compacted",
    ]);
    expect(watchSessionFailures(judgeWatchSessions({ sessions: [], reference: REFERENCE, referenceEndRevision: 6 }))).toEqual(['watch: no watch session could be judged']);
  });
});
