import type { NodeId, Prng } from '@holdfast/raft';
import { type PartitionKind, planPartition, type SimNetwork } from './network.js';

/** What the nemesis may do to the cluster. */
export interface ClusterControl {
  readonly network: SimNetwork;
  /** Members that have not been removed. */
  members(): NodeId[];
  upMembers(): NodeId[];
  leaderId(): NodeId;
  crash(id: NodeId): void;
  restart(id: NodeId): void;
  pause(id: NodeId): void;
  resume(id: NodeId): void;
  setDiskLatencyTicksMax(ticks: number): void;
  transferLeadership(from: NodeId, to: NodeId): void;
  /** Starts a remove-then-add-back membership change; false if one is under way. */
  beginMembershipChange(): boolean;
  record(description: string): void;
}

export interface NemesisConfig {
  /** Chance per tick of each kind of fault starting. */
  readonly crashProbability: number;
  readonly partitionProbability: number;
  readonly networkFaultProbability: number;
  readonly slowDiskProbability: number;
  /** A node stops (as under SIGSTOP, or a long pause of its runtime) and later resumes. */
  readonly pauseProbability: number;
  readonly transferProbability: number;
  readonly membershipChangeProbability: number;
  /** How long a fault lasts, in ticks. */
  readonly faultTicksMin: number;
  readonly faultTicksMax: number;
  readonly diskLatencyTicksNormal: number;
  readonly diskLatencyTicksSlow: number;
}

export interface NemesisStats {
  crashes: number;
  partitions: number;
  networkFaults: number;
  slowDisks: number;
  pauses: number;
  transfers: number;
  membershipChanges: number;
}

const partitionKinds: readonly PartitionKind[] = ['symmetric', 'oneWay', 'leaderIsolated', 'minorityMajority', 'bridge'];
const dropLevels = [0, 0.02, 0.1, 0.3];
const duplicateLevels = [0, 0.05, 0.2];
const delayLevels = [0, 0.1, 0.4];

/**
 * Injects faults on a random schedule and heals each after a random time. `healAll` ends every
 * fault at once (the liveness checks need a healthy cluster).
 */
export class Nemesis {
  private readonly restartAt = new Map<NodeId, number>();
  private readonly resumeAt = new Map<NodeId, number>();
  private partitionEndsAt = 0;
  private networkFaultEndsAt = 0;
  private slowDiskEndsAt = 0;
  readonly stats: NemesisStats = {
    crashes: 0,
    partitions: 0,
    networkFaults: 0,
    slowDisks: 0,
    pauses: 0,
    transfers: 0,
    membershipChanges: 0,
  };

  constructor(
    private readonly config: NemesisConfig,
    private readonly random: Prng,
  ) {}

  act(now: number, cluster: ClusterControl): void {
    this.maybeEndFaults(now, cluster);
    this.maybeCrash(now, cluster);
    this.maybePause(now, cluster);
    this.maybePartition(now, cluster);
    this.maybeNetworkFault(now, cluster);
    this.maybeSlowDisk(now, cluster);
    this.maybeTransfer(cluster);
    if (this.random.chance(this.config.membershipChangeProbability) && cluster.beginMembershipChange()) {
      this.stats.membershipChanges++;
    }
  }

  healAll(cluster: ClusterControl): void {
    cluster.network.healAll();
    cluster.setDiskLatencyTicksMax(this.config.diskLatencyTicksNormal);
    this.partitionEndsAt = 0;
    this.networkFaultEndsAt = 0;
    this.slowDiskEndsAt = 0;
    for (const id of [...this.resumeAt.keys()]) {
      this.resumeAt.delete(id);
      cluster.resume(id);
    }
    for (const id of [...this.restartAt.keys()]) {
      this.restartAt.delete(id);
      if (cluster.members().includes(id)) cluster.restart(id);
    }
    cluster.record('nemesis heals everything');
  }

  private duration(): number {
    return this.random.int(this.config.faultTicksMin, this.config.faultTicksMax);
  }

  private maybeEndFaults(now: number, cluster: ClusterControl): void {
    for (const [id, at] of this.resumeAt) {
      if (at > now) continue;
      this.resumeAt.delete(id);
      cluster.resume(id);
    }
    for (const [id, at] of this.restartAt) {
      if (at > now) continue;
      this.restartAt.delete(id);
      if (cluster.members().includes(id)) cluster.restart(id);
    }
    if (this.partitionEndsAt !== 0 && now >= this.partitionEndsAt) {
      this.partitionEndsAt = 0;
      cluster.network.healPartitions();
      cluster.record('partition healed');
    }
    if (this.networkFaultEndsAt !== 0 && now >= this.networkFaultEndsAt) {
      this.networkFaultEndsAt = 0;
      cluster.network.faults = { dropProbability: 0, duplicateProbability: 0, delayProbability: 0 };
      cluster.record('network faults end');
    }
    if (this.slowDiskEndsAt !== 0 && now >= this.slowDiskEndsAt) {
      this.slowDiskEndsAt = 0;
      cluster.setDiskLatencyTicksMax(this.config.diskLatencyTicksNormal);
      cluster.record('disks fast again');
    }
  }

  private maybeCrash(now: number, cluster: ClusterControl): void {
    if (!this.random.chance(this.config.crashProbability)) return;
    const up = cluster.upMembers();
    if (up.length === 0) return;
    // Half the time the leader, which exercises elections and lost in-flight writes the most.
    const leader = cluster.leaderId();
    const victim = leader !== 0 && this.random.chance(0.5) ? leader : this.random.pick(up);
    cluster.crash(victim);
    this.restartAt.set(victim, now + this.duration());
    this.stats.crashes++;
  }

  private maybePause(now: number, cluster: ClusterControl): void {
    if (!this.random.chance(this.config.pauseProbability)) return;
    const candidates = cluster.upMembers().filter((id) => !this.resumeAt.has(id));
    if (candidates.length === 0) return;
    const leader = cluster.leaderId();
    const victim = leader !== 0 && candidates.includes(leader) && this.random.chance(0.5) ? leader : this.random.pick(candidates);
    cluster.pause(victim);
    this.resumeAt.set(victim, now + this.random.int(1, this.config.faultTicksMax / 2));
    this.stats.pauses++;
  }

  private maybePartition(now: number, cluster: ClusterControl): void {
    if (this.partitionEndsAt !== 0 || !this.random.chance(this.config.partitionProbability)) return;
    const members = cluster.members();
    if (members.length < 2) return;
    const kind = this.random.pick(partitionKinds);
    const plan = planPartition(kind, members, cluster.leaderId(), this.random);
    cluster.network.cutBetween(plan.sideA, plan.sideB, plan.oneWay);
    cluster.network.partitionDescription = plan.description;
    this.partitionEndsAt = now + this.duration();
    this.stats.partitions++;
    cluster.record(`partition: ${plan.description}`);
  }

  private maybeNetworkFault(now: number, cluster: ClusterControl): void {
    if (this.networkFaultEndsAt !== 0 || !this.random.chance(this.config.networkFaultProbability)) return;
    const faults = {
      dropProbability: this.random.pick(dropLevels),
      duplicateProbability: this.random.pick(duplicateLevels),
      delayProbability: this.random.pick(delayLevels),
    };
    cluster.network.faults = faults;
    this.networkFaultEndsAt = now + this.duration();
    this.stats.networkFaults++;
    cluster.record(
      `network faults: drop ${faults.dropProbability} duplicate ${faults.duplicateProbability} delay ${faults.delayProbability}`,
    );
  }

  private maybeSlowDisk(now: number, cluster: ClusterControl): void {
    if (this.slowDiskEndsAt !== 0 || !this.random.chance(this.config.slowDiskProbability)) return;
    cluster.setDiskLatencyTicksMax(this.config.diskLatencyTicksSlow);
    this.slowDiskEndsAt = now + this.duration();
    this.stats.slowDisks++;
    cluster.record(`disks slow (up to ${this.config.diskLatencyTicksSlow} ticks per sync)`);
  }

  private maybeTransfer(cluster: ClusterControl): void {
    if (!this.random.chance(this.config.transferProbability)) return;
    const leader = cluster.leaderId();
    if (leader === 0) return;
    const targets = cluster.upMembers().filter((id) => id !== leader);
    if (targets.length === 0) return;
    cluster.transferLeadership(leader, this.random.pick(targets));
    this.stats.transfers++;
  }
}

/** Fault rates and durations both simulators draw from (scaled per seed by scaleFaults). */
export const NEMESIS_CONFIG_DEFAULT: NemesisConfig = {
  crashProbability: 0.004,
  partitionProbability: 0.008,
  networkFaultProbability: 0.01,
  slowDiskProbability: 0.005,
  pauseProbability: 0.004,
  transferProbability: 0.004,
  membershipChangeProbability: 0.003,
  faultTicksMin: 10,
  faultTicksMax: 150,
  diskLatencyTicksNormal: 1,
  diskLatencyTicksSlow: 8,
};

/** Every fault probability multiplied by `factor` (a seed's intensity). */
export function scaleFaults(config: NemesisConfig, factor: number): NemesisConfig {
  return {
    ...config,
    crashProbability: config.crashProbability * factor,
    partitionProbability: config.partitionProbability * factor,
    networkFaultProbability: config.networkFaultProbability * factor,
    slowDiskProbability: config.slowDiskProbability * factor,
    pauseProbability: config.pauseProbability * factor,
    transferProbability: config.transferProbability * factor,
    membershipChangeProbability: config.membershipChangeProbability * factor,
  };
}
