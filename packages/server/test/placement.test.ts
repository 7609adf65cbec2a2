/**
 * Placement rules (placement.ts): the layout of voters by region, which regions could stop the
 * cluster, the refusal that names the layout, and the leader preference's hysteresis.
 */
import type { MemberRecord } from '@holdfast/storage';
import { describe, expect, it } from 'vitest';
import { checkLayoutMeetsGoal, describeLayout, LeaderPreference, layoutOf, regionsThatStopTheCluster, survivesRegionLoss } from '../src/placement.js';

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
