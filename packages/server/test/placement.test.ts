/**
 * Placement rules (placement.ts): the layout of voters by region, which regions could stop the
 * cluster, the refusal that names the layout, and the leader preference's hysteresis.
 */
import type { MemberRecord } from '@holdfast/storage';
import { describe, expect, it } from 'vitest';
import { CommitTrail, checkLayoutMeetsGoal, describeLayout, LeaderPreference, layoutOf, regionsThatStopTheCluster, survivesRegionLoss } from '../src/placement.js';

const member = (id: number, region: string, learner = false): MemberRecord => ({
  id,
  name: `n${id}`,
  region,
  clientAddress: '',
  peerAddress: '',
  learner,
});
const fiveInThree = [member(1, 'us-east'), member(2, 'us-west'), member(3, 'eu-west'), member(4, 'us-east'), member(5, 'us-west')];

describe('voter layout', () => {
  it('survives the loss of any one region with 2-2-1 voters, and not with 3-1-1 or 2 regions', () => {
    expect(describeLayout(layoutOf(fiveInThree))).toBe('us-east 2, us-west 2, eu-west 1');
    expect(survivesRegionLoss(layoutOf(fiveInThree))).toBe(true);
    const threeInOne = [...fiveInThree.slice(0, 4), member(5, 'us-east')];
    expect(regionsThatStopTheCluster(layoutOf(threeInOne))).toEqual(['us-east']);
    expect(survivesRegionLoss(layoutOf([member(1, 'a'), member(2, 'a'), member(3, 'b')]))).toBe(false);
    // Learners do not vote: they change nothing.
    expect(survivesRegionLoss(layoutOf([...fiveInThree, member(6, 'us-east', true), member(7, 'us-east', true)]))).toBe(true);
  });

  it('refuses a layout the survival goal region does not allow, naming it, and allows anything with member', () => {
    const twoRegions = [member(1, 'a'), member(2, 'a'), member(3, 'b')];
    expect(() => checkLayoutMeetsGoal({ leaderRegions: [], survive: 'region' }, twoRegions, 'adding member 3')).toThrow(
      'adding member 3 refused: the survival goal is region, and the voters would be laid out a 2, b 1: it spans 2 region(s); surviving a region needs voters in at least 3',
    );
    expect(() => checkLayoutMeetsGoal({ leaderRegions: [], survive: 'member' }, twoRegions, 'x')).not.toThrow();
    expect(() => checkLayoutMeetsGoal({ leaderRegions: [], survive: 'region' }, fiveInThree, 'x')).not.toThrow();
  });
});

describe('leader preference', () => {
  const placement = { leaderRegions: ['us-east', 'us-west'], survive: 'member' as const };
  const voters = (caughtUp: boolean) => [
    { id: 1, region: 'us-east', caughtUp },
    { id: 2, region: 'us-west', caughtUp: true },
  ];

  it('hands over only after the better voter stayed caught up for the hold time', () => {
    const preference = new LeaderPreference({ holdMs: 1000, retryMs: 5000 });
    const at = (nowMs: number, caughtUp = true) => preference.maybeChooseTarget({ placement, selfRegion: 'eu-west', voters: voters(caughtUp), nowMs });
    expect(at(0)).toBe(0);
    expect(at(500)).toBe(0);
    expect(at(1000)).toBe(1);
    // A handover was just started: none again before retryMs.
    expect(at(1100)).toBe(0);
    expect(at(6000)).toBe(1);
  });

  it('does not hand over to a region that flaps faster than the hold time; a worse region is no target', () => {
    const preference = new LeaderPreference({ holdMs: 1000, retryMs: 0 });
    let chosen = 0;
    for (let t = 0; t < 10_000; t += 100) {
      const up = Math.floor(t / 700) % 2 === 0;
      chosen ||= preference.maybeChooseTarget({ placement, selfRegion: 'us-west', voters: voters(up), nowMs: t });
    }
    expect(chosen).toBe(0);
    expect(preference.maybeChooseTarget({ placement, selfRegion: 'us-east', voters: voters(true), nowMs: 20_000 })).toBe(0);
  });
});

describe('commit trail', () => {
  it('judges a voter by what was committed a while ago, so one a round trip behind under steady writes stays caught up', () => {
    const trail = new CommitTrail(1500);
    const preference = new LeaderPreference({ holdMs: 2000, retryMs: 5000 });
    const placement = { leaderRegions: ['us-east'], survive: 'member' as const };
    let chosen = 0;
    let chosenAt = -1;
    // 40 entries committed per 100 ms check; the us-east voter acks 70 ms after each commit, so
    // at every check its match is behind the commit of the moment.
    for (let t = 0; t <= 5000 && chosen === 0; t += 100) {
      const commit = 40 * (t / 100);
      trail.record(t, commit);
      const match = commit - 28;
      expect(match).toBeLessThan(commit);
      const caughtUp = match >= trail.committedAsOf(t - (200 + 2 * 70));
      chosen = preference.maybeChooseTarget({ placement, selfRegion: 'us-west', voters: [{ id: 3, region: 'us-east', caughtUp }], nowMs: t });
      if (chosen !== 0) chosenAt = t;
    }
    expect(chosen).toBe(3);
    // Caught up from the check at 100 ms (at 0 it held nothing yet): handed over one hold later.
    expect(chosenAt).toBe(2100);
  });

  it('is the oldest sample before its span, the last one at or before a time after it, and refuses to go back', () => {
    const trail = new CommitTrail(1000);
    expect(trail.committedAsOf(0)).toBe(0);
    trail.record(100, 5);
    trail.record(200, 9);
    trail.record(300, 9);
    trail.record(400, 12);
    expect(trail.committedAsOf(50)).toBe(5);
    expect(trail.committedAsOf(250)).toBe(9);
    expect(trail.committedAsOf(400)).toBe(12);
    // Samples older than the span are dropped (the one at 100 goes once 200 is a span old).
    trail.record(1250, 20);
    expect(trail.committedAsOf(150)).toBe(9);
    expect(() => trail.record(1300, 19)).toThrow('commit trail out of order');
    expect(() => trail.record(1200, 21)).toThrow('commit trail out of order');
    trail.clear();
    expect(trail.committedAsOf(5000)).toBe(0);
  });

  it('finds a voter that stopped acking not caught up once the allowed lag has passed', () => {
    const trail = new CommitTrail(1500);
    for (let t = 0; t <= 1000; t += 100) trail.record(t, t / 10);
    const stuckAt = 50;
    expect(stuckAt >= trail.committedAsOf(1000 - 340)).toBe(false);
    expect(stuckAt >= trail.committedAsOf(500 - 0)).toBe(true);
  });
});
