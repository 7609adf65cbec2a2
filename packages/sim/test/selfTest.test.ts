/**
 * Proof that the checks can fail: each deliberate defect must be reported as a violation for
 * some seed in a small range, and for the invariant that the defect breaks.
 */
import { describe, expect, it } from 'vitest';
import { formatFailure, runSeed, type SeedResult, type SimDefects } from '../src/index.js';

/** The first failing seed in 1..20, or undefined. */
function firstFailure(defects: SimDefects, nodeCount: number): SeedResult | undefined {
  for (let seed = 1; seed <= 20; seed++) {
    const result = runSeed({ seed, nodeCount, steps: 800, defects });
    if (result.violation !== undefined) return result;
  }
  return undefined;
}

describe('self-test: a broken driver is caught', () => {
  it('reports acknowledgements sent before the sync (committed entry not durable on a quorum)', () => {
    const failure = firstFailure({ ackBeforeSync: true }, 3);
    expect(failure).toBeDefined();
    expect(failure?.violation?.invariant).toBe('committedDurable');
  });

  it('reports a disk that forgets the synced vote (two leaders in one term, or worse)', () => {
    const failure = firstFailure({ forgetsVote: true }, 3);
    expect(failure).toBeDefined();
    expect(['electionSafety', 'logMatching', 'leaderCompleteness', 'stateMachineSafety', 'coreError']).toContain(
      failure?.violation?.invariant,
    );
  });

  it('reports reads served without ReadIndex (stale reads in the history)', () => {
    const failure = firstFailure({ localReads: true }, 5);
    expect(failure?.violation?.invariant).toBe('linearizability');
  });

  it('reports a cluster that cannot commit within the liveness bound', () => {
    // No cluster elects a leader and commits within 3 ticks of healing: the check must say so.
    const result = runSeed({ seed: 1, nodeCount: 3, steps: 200, livenessTicksMax: 3 });
    expect(result.violation?.invariant).toBe('liveness');
    expect(result.violation?.message).toContain('no leader committed a proposal within 3 ticks');
  });

  it('prints the seed, a replay command and the last events of a failure', () => {
    const failure = firstFailure({ ackBeforeSync: true }, 3);
    if (failure === undefined) throw new Error('expected a failure');
    const report = formatFailure(failure);
    expect(report).toContain(`seed ${failure.seed}`);
    expect(report).toContain(`npm run sim -- --seed ${failure.seed} --nodes 3 --steps 800`);
    expect(failure.recentEvents.length).toBe(30);
    expect(report).toContain(failure.recentEvents[29]);
  });
});
