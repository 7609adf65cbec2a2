import { describe, expect, it } from 'vitest';
import type { FaultWindow } from '../src/nemesis.js';
import { REGION_PRESETS, regionOf } from '../src/regions.js';
import { leaderReturnLines } from '../src/report.js';
import { computeFigures, type LeaderSample, preferredLeaderReturns } from '../src/stats.js';

// three-regions with 5 members: n1, n4 us-east (preferred); n2, n5 us-west; n3 eu-west.
const layout = REGION_PRESETS['three-regions']!;
const inRegion = (node: string): string => regionOf(layout, node);

function window(options: Partial<FaultWindow> & Pick<FaultWindow, 'index' | 'kind' | 'startMs'>): FaultWindow {
  return { endMs: options.startMs + 5000, nodes: [], detail: '', ...options };
}

/** One observation every 250 ms from `fromMs` on, naming the leader the timeline gives for that moment. */
function observe(fromMs: number, toMs: number, leaderAt: (atMs: number) => string | undefined): LeaderSample[] {
  const samples: LeaderSample[] = [];
  for (let atMs = fromMs; atMs < toMs; atMs += 250) samples.push({ atMs, leader: leaderAt(atMs) });
  return samples;
}

describe('the leader back in the preferred region after a region heals', () => {
  it('times each heal from the moment the region was back to the first observation of a preferred leader', () => {
    const windows = [
      // us-east out 10-20 s (links back at 18 s, its members answering at 20 s): n2 leads meanwhile, n4 again from 23.1 s.
      window({ index: 0, kind: 'region-outage', startMs: 10_000, endMs: 20_000, healedAtMs: 18_000, nodes: ['n1', 'n4'] }),
      // eu-west cut off 30-35 s: the leader never left us-east.
      window({ index: 1, kind: 'region-partition', startMs: 30_000, endMs: 35_000, healedAtMs: 35_000, nodes: ['n3'] }),
      // us-east cut off 40-45 s: n5 leads and is still leading when the next fault begins at 50 s.
      window({ index: 2, kind: 'region-partition', startMs: 40_000, endMs: 45_000, healedAtMs: 45_000, nodes: ['n1', 'n4'] }),
      window({ index: 3, kind: 'kill-leader', startMs: 50_000, endMs: 55_000, healedAtMs: 55_000, nodes: ['n5'] }),
      // Skipped faults and faults never healed are left out.
      window({ index: 4, kind: 'region-outage', startMs: 60_000, skipped: 'no leader' }),
      window({ index: 5, kind: 'region-outage', startMs: 61_000, nodes: ['n1', 'n4'] }),
    ];
    const leaderAt = (atMs: number): string | undefined => {
      if (atMs < 10_000) return 'n1';
      if (atMs < 12_000) return undefined;
      if (atMs < 23_100) return 'n2';
      if (atMs < 40_000) return 'n4';
      if (atMs < 43_000) return undefined;
      if (atMs < 52_000) return 'n5';
      return 'n1';
    };
    const returns = preferredLeaderReturns({
      windows,
      leaderSamples: observe(0, 70_000, leaderAt),
      preferredRegion: 'us-east',
      regionOf: inRegion,
      workloadStartMs: 1000,
    });
    expect(returns).toEqual([
      // The first observation at or after 23.1 s is at 23.25 s: 3250 ms after the region was back at 20 s.
      { index: 0, kind: 'region-outage', nodes: ['n1', 'n4'], healedS: 19, linksBackS: 17, awayAtHeal: true, returnMs: 3250 },
      { index: 1, kind: 'region-partition', nodes: ['n3'], healedS: 34, linksBackS: 34, awayAtHeal: false, returnMs: 0 },
      // Back (n1) only at 52 s, after the next fault began at 50 s: not counted as a return.
      { index: 2, kind: 'region-partition', nodes: ['n1', 'n4'], healedS: 44, linksBackS: 44, awayAtHeal: true, returnMs: null },
    ]);
  });

  it('reports nothing without a preference, and prints the heals that found the leader away', () => {
    const windows = [window({ index: 0, kind: 'region-outage', startMs: 1000, endMs: 6000, healedAtMs: 5000, nodes: ['n1', 'n4'] })];
    const leaderSamples = observe(0, 12_000, (atMs) => (atMs < 1000 ? 'n1' : atMs < 7600 ? 'n3' : 'n1'));
    const base = { operations: [], windows, leaderSamples, workloadStartMs: 0, workloadEndMs: 12_000 };
    expect(computeFigures(base).leaderPreference).toBeUndefined();
    expect(leaderReturnLines(computeFigures(base))).toEqual([]);
    const figures = computeFigures({ ...base, leaderPreference: { region: 'us-east', regionOf: inRegion } });
    expect(figures.leaderPreference?.returns.map((r) => r.returnMs)).toEqual([1750]);
    expect(leaderReturnLines(figures)).toEqual([
      'leader back in us-east after a region heal: 1 of 1 heals found it away; ms p50 1750, max 1750',
      '  #0 region-outage [n1,n4] back at 6.0 s (links at 5.0 s): away, 1750 ms',
    ]);
  });
});
