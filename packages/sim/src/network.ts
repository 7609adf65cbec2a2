import type { NodeId, Prng } from '@holdfast/raft';

export interface NetworkConfig {
  /** Ordinary one-way latency, uniform in [latencyTicksMin, latencyTicksMax]. */
  readonly latencyTicksMin: number;
  readonly latencyTicksMax: number;
  /** A delayed message takes up to this many extra ticks (and so overtakes, or is overtaken). */
  readonly delayTicksMax: number;
}

/** The fault levels the nemesis turns up and down; all zero on a healthy network. */
export interface NetworkFaults {
  dropProbability: number;
  duplicateProbability: number;
  delayProbability: number;
}

export type PartitionKind = 'symmetric' | 'oneWay' | 'leaderIsolated' | 'minorityMajority' | 'bridge';

export const healthyFaults: Readonly<NetworkFaults> = {
  dropProbability: 0,
  duplicateProbability: 0,
  delayProbability: 0,
};

/**
 * The simulated network between nodes: decides, per message, when (and how often) it arrives.
 * Partitions are a set of cut directed links, checked when a message is sent and again when it
 * would arrive (a cut also loses what is in flight). Reordering follows from random latencies.
 */
export class SimNetwork {
  private readonly cutLinks = new Set<number>();
  faults: NetworkFaults = { ...healthyFaults };
  partitionDescription = 'none';

  constructor(
    private readonly config: NetworkConfig,
    private readonly random: Prng,
  ) {
    if (config.latencyTicksMin < 1 || config.latencyTicksMax < config.latencyTicksMin) {
      throw new RangeError(`bad latency range [${config.latencyTicksMin}, ${config.latencyTicksMax}]`);
    }
  }

  /** Delays (in ticks from now) of each copy to deliver; empty when the message is lost. */
  route(from: NodeId, to: NodeId): number[] {
    if (!this.isLinkUp(from, to)) return [];
    if (this.random.chance(this.faults.dropProbability)) return [];
    const copies = this.random.chance(this.faults.duplicateProbability) ? 2 : 1;
    const delays: number[] = [];
    for (let i = 0; i < copies; i++) delays.push(this.sampleLatency());
    return delays;
  }

  isLinkUp(from: NodeId, to: NodeId): boolean {
    return !this.cutLinks.has(linkKey(from, to));
  }

  get isPartitioned(): boolean {
    return this.cutLinks.size > 0;
  }

  cut(from: NodeId, to: NodeId): void {
    this.cutLinks.add(linkKey(from, to));
  }

  /** Cuts every link between the two groups, in both directions unless `oneWay`. */
  cutBetween(sideA: readonly NodeId[], sideB: readonly NodeId[], oneWay: boolean): void {
    for (const a of sideA) {
      for (const b of sideB) {
        this.cut(a, b);
        if (!oneWay) this.cut(b, a);
      }
    }
  }

  healPartitions(): void {
    this.cutLinks.clear();
    this.partitionDescription = 'none';
  }

  healAll(): void {
    this.healPartitions();
    this.faults = { ...healthyFaults };
  }

  private sampleLatency(): number {
    const base = this.random.int(this.config.latencyTicksMin, this.config.latencyTicksMax);
    if (this.random.chance(this.faults.delayProbability)) return base + this.random.int(1, this.config.delayTicksMax);
    return base;
  }
}

function linkKey(from: NodeId, to: NodeId): number {
  // Node ids stay far below 2^20 in a simulation, so the pair packs into one safe integer.
  return from * 0x10_0000 + to;
}

/**
 * Chooses the two sides of a partition of `kind` over the members; `leaderId` is 0 when unknown.
 * Returns the cuts to make and a description for the event log.
 */
export function planPartition(
  kind: PartitionKind,
  members: readonly NodeId[],
  leaderId: NodeId,
  random: Prng,
): { sideA: NodeId[]; sideB: NodeId[]; oneWay: boolean; bridge: NodeId | undefined; description: string } {
  const shuffled = random.shuffle(members);
  const minoritySize = Math.max(1, Math.floor((members.length - 1) / 2));
  switch (kind) {
    case 'leaderIsolated': {
      const isolated = leaderId !== 0 && members.includes(leaderId) ? leaderId : (shuffled[0] as NodeId);
      const rest = members.filter((id) => id !== isolated);
      return split([isolated], rest, false, undefined, `leader ${isolated} isolated`);
    }
    case 'bridge': {
      const bridge = shuffled[0] as NodeId;
      const others = shuffled.slice(1);
      const half = Math.ceil(others.length / 2);
      return split(others.slice(0, half), others.slice(half), false, bridge, `bridge ${bridge}`);
    }
    case 'oneWay': {
      const size = random.int(1, members.length - 1);
      return split(shuffled.slice(0, size), shuffled.slice(size), true, undefined, 'one-way');
    }
    case 'minorityMajority':
      return split(shuffled.slice(0, minoritySize), shuffled.slice(minoritySize), false, undefined, 'minority|majority');
    case 'symmetric': {
      const size = random.int(1, members.length - 1);
      return split(shuffled.slice(0, size), shuffled.slice(size), false, undefined, 'symmetric');
    }
  }
}

function split(
  sideA: NodeId[],
  sideB: NodeId[],
  oneWay: boolean,
  bridge: NodeId | undefined,
  label: string,
): { sideA: NodeId[]; sideB: NodeId[]; oneWay: boolean; bridge: NodeId | undefined; description: string } {
  const arrow = oneWay ? '-/->' : '|';
  const via = bridge === undefined ? '' : ` via ${bridge}`;
  return { sideA, sideB, oneWay, bridge, description: `${label} [${sideA.join(',')}] ${arrow} [${sideB.join(',')}]${via}` };
}

/** The network both simulators run on: 1–3 ticks of latency, long delays up to 25 more. */
export const NETWORK_CONFIG_DEFAULT: NetworkConfig = { latencyTicksMin: 1, latencyTicksMax: 3, delayTicksMax: 25 };
