/**
 * Placement of voters and of the leader across regions: the layout checks behind the survival
 * goal (a membership change that would let one region stop the cluster is refused), and the
 * leader's preference for regions (a leader hands leadership to a caught-up voter in a better
 * region, with hysteresis so that a flapping region does not make leadership bounce).
 */
import type { NodeId } from '@holdfast/raft';
import type { MemberRecord, Placement } from '@holdfast/storage';
import { InvalidRequestError } from './errors.js';

/** Voters per region, in a fixed order (most voters first, then by name). */
export interface RegionLayout {
  readonly regions: readonly { readonly region: string; readonly voters: number }[];
  readonly voters: number;
}

export function layoutOf(members: readonly MemberRecord[]): RegionLayout {
  const counts = new Map<string, number>();
  for (const member of members) {
    if (member.learner) continue;
    counts.set(member.region, (counts.get(member.region) ?? 0) + 1);
  }
  const regions = [...counts].map(([region, voters]) => ({ region, voters }));
  regions.sort((a, b) => b.voters - a.voters || a.region.localeCompare(b.region));
  return { regions, voters: regions.reduce((sum, r) => sum + r.voters, 0) };
}

/** "us-east 2, us-west 2, eu-west 1" (voters per region). */
export function describeLayout(layout: RegionLayout): string {
  if (layout.voters === 0) return 'no voters';
  return layout.regions.map((r) => `${r.region || '(no region)'} ${r.voters}`).join(', ');
}

function quorumOf(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

/** The regions whose loss (every voter in it at once) would leave fewer voters than a quorum. */
export function regionsThatStopTheCluster(layout: RegionLayout): string[] {
  const quorum = quorumOf(layout.voters);
  return layout.regions.filter((r) => layout.voters - r.voters < quorum).map((r) => r.region);
}

/** Whether the voters keep a quorum after losing every member of any one region. */
export function survivesRegionLoss(layout: RegionLayout): boolean {
  return layout.voters > 0 && regionsThatStopTheCluster(layout).length === 0;
}

/**
 * Refuses (InvalidRequestError naming the layout) a voter layout that the survival goal does
 * not allow: with `region`, no single region may hold enough voters to stop the cluster, which
 * also needs at least three regions.
 */
export function checkLayoutMeetsGoal(placement: Placement, members: readonly MemberRecord[], change: string): void {
  if (placement.survive !== 'region') return;
  const layout = layoutOf(members);
  const stoppers = regionsThatStopTheCluster(layout);
  if (stoppers.length === 0 && layout.voters > 0) return;
  const quorum = quorumOf(layout.voters);
  const why =
    layout.regions.length < 3
      ? `it spans ${layout.regions.length} region(s); surviving a region needs voters in at least 3`
      : `losing ${stoppers.join(' or ')} would leave fewer than ${quorum} of ${layout.voters} voters`;
  throw new InvalidRequestError(
    'invalid-argument',
    `${change} refused: the survival goal is region, and the voters would be laid out ${describeLayout(layout)}: ${why}`,
  );
}

/** A voter as the leader sees it when choosing where leadership should be. */
export interface VoterView {
  readonly id: NodeId;
  readonly region: string;
  /**
   * Keeps up with the log and answers the leader now: it holds every entry that was committed a
   * little while ago (CommitTrail), not necessarily the very latest commit, which under steady
   * writes a follower reaches only one round trip later.
   */
  readonly caughtUp: boolean;
}

/**
 * The leader's commit index over the last few seconds, sampled at its periodic checks, so that a
 * voter can be judged by what was committed `lagMs` ago. Judged against the commit index of the
 * moment instead, a voter in another region is behind at most checks while writes flow (the entry
 * committed last is still on its way to it, or its ack on its way back), so under steady writes no
 * voter stayed caught up for a whole hold and leadership never went back to a preferred region.
 * Invariant: samples are in time order, and their commit indexes never decrease.
 */
export class CommitTrail {
  private readonly samples: { atMs: number; commit: number }[] = [];

  constructor(private readonly spanMs: number) {}

  record(nowMs: number, commit: number): void {
    const last = this.samples.at(-1);
    if (last !== undefined && (nowMs < last.atMs || commit < last.commit)) {
      throw new Error(`commit trail out of order: (${nowMs}, ${commit}) after (${last.atMs}, ${last.commit})`);
    }
    this.samples.push({ atMs: nowMs, commit });
    while (this.samples.length > 1 && nowMs - this.samples[1]!.atMs >= this.spanMs) this.samples.shift();
  }

  /**
   * The commit index as of `timeMs`: the last sample taken at or before it; the oldest sample when
   * none is that old (a leader that just took over judges by what it saw first, never by less).
   */
  committedAsOf(timeMs: number): number {
    let commit = this.samples[0]?.commit ?? 0;
    for (const sample of this.samples) {
      if (sample.atMs > timeMs) break;
      commit = sample.commit;
    }
    return commit;
  }

  clear(): void {
    this.samples.length = 0;
  }
}

/** A region's place in the preference: 0 is best; a region not listed ranks after every listed one. */
export function regionRank(placement: Placement, region: string): number {
  const rank = placement.leaderRegions.indexOf(region);
  return rank === -1 ? placement.leaderRegions.length : rank;
}

export interface LeaderPreferenceOptions {
  /**
   * How long a better-ranked voter must have stayed caught up, without a break, before leadership
   * is handed to it: a region that flaps never stays healthy that long, so leadership stays put.
   */
  readonly holdMs: number;
  /** Time between two handovers this leader starts (one that did not finish is not retried at once). */
  readonly retryMs: number;
}

/**
 * The leader's side of the leader preference: called periodically with what it sees; says which
 * voter to hand leadership to, if any. Invariant: `healthySinceMs` holds only voters that were
 * caught up at every check since the time it records.
 */
export class LeaderPreference {
  private readonly healthySinceMs = new Map<NodeId, number>();
  private lastHandoverMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: LeaderPreferenceOptions) {}

  /** Forgets what it saw (this member is no longer leader: the next term starts afresh). */
  reset(): void {
    this.healthySinceMs.clear();
  }

  /**
   * The voter to hand leadership to now, or 0: the best-ranked voter that has stayed caught up
   * for holdMs, if its region ranks strictly better than the leader's own.
   */
  maybeChooseTarget(input: { placement: Placement; selfRegion: string; voters: readonly VoterView[]; nowMs: number }): NodeId {
    const { placement, voters, nowMs } = input;
    for (const voter of voters) {
      if (!voter.caughtUp) this.healthySinceMs.delete(voter.id);
      else if (!this.healthySinceMs.has(voter.id)) this.healthySinceMs.set(voter.id, nowMs);
    }
    for (const id of this.healthySinceMs.keys()) if (!voters.some((v) => v.id === id)) this.healthySinceMs.delete(id);
    if (placement.leaderRegions.length === 0) return 0;
    if (nowMs - this.lastHandoverMs < this.options.retryMs) return 0;
    const ownRank = regionRank(placement, input.selfRegion);
    let best: { id: NodeId; rank: number } = { id: 0, rank: ownRank };
    for (const voter of voters) {
      const since = this.healthySinceMs.get(voter.id);
      if (since === undefined || nowMs - since < this.options.holdMs) continue;
      const rank = regionRank(placement, voter.region);
      if (rank < best.rank || (rank === best.rank && best.id !== 0 && voter.id < best.id)) best = { id: voter.id, rank };
    }
    if (best.id !== 0) this.lastHandoverMs = nowMs;
    return best.id;
  }
}
