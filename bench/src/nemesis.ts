import { Prng } from '@holdfast/raft';
import type { CorruptionNemesis, DamageReport } from './corruption.js';
import { type DamageKind, NothingToDamage } from './damage.js';
import type { MonotonicClock } from './history.js';
import type { ProxyNetwork } from './proxy.js';
import { clientDialerOf } from './regions.js';
import type { NemesisKind, ScheduledFault } from './schedule.js';
import { type ClusterTarget, sleep } from './target.js';

/** What happened to one scheduled fault, for the report. */
export interface FaultWindow {
  index: number;
  kind: NemesisKind;
  /** Milliseconds since the run began. */
  startMs: number;
  /** When the heal finished (equal to startMs for one-shot faults like a transfer); a region outage's once its members answer again. */
  endMs: number;
  nodes: string[];
  detail: string;
  /** Why the fault was not injected (unsupported by the target, no leader...). */
  skipped?: string;
  /** The fault or its heal threw. */
  error?: string;
  /** A behaviour the fault must produce (e.g. the node stops when fsync fails), and whether it did. */
  expectation?: { description: string; met: boolean };
  /** Damage to a member's files (corruption kinds): what, where, and how the member ended. */
  damage?: DamageReport;
  /** When the fault took effect (links cut), on the clock of startMs: later than it by the leader lookup. */
  cutAtMs?: number;
  /**
   * When the heal gave the faulted nodes their links back, on the clock of startMs: a region
   * outage's heal first restarts its members, so this is later than the heal's start; absent when
   * the fault was skipped or not healed.
   */
  healedAtMs?: number;
}

type Heal = () => Promise<void>;

interface Injected {
  nodes: string[];
  detail: string;
  heal: Heal;
  expectation?: { description: string; met: boolean };
  damage?: DamageReport;
  cutAtMs?: number;
  /** Set by a heal whose links come back after other work (a region outage's restarts); else the heal's start. */
  healedAtMs?: number;
}

/** How long a region outage's heal waits for its restarted members to answer. */
const REGION_BACK_TIMEOUT_MS = 30_000;

class SkipFault extends Error {
  override readonly name = 'SkipFault';
  readonly code = 'skip-fault';
}

/** Runs a fault schedule against a target and its proxies; heals everything on stop. */
export class NemesisRunner {
  private readonly target: ClusterTarget;
  private readonly network: ProxyNetwork;
  private readonly clock: MonotonicClock;
  private readonly schedule: readonly ScheduledFault[];
  /** Clock time at which the schedule's zero lies. */
  private readonly originMs: number;
  /** Least quiet time after a heal, even when a slow fault pushed the plan late. */
  private readonly quietMinMs: number;
  private readonly corruption: CorruptionNemesis | undefined;
  private readonly regionOf: ((node: string) => string) | undefined;
  /** The regions the workload's clients live in (dialers `client@<region>`); empty: none. */
  private readonly clientRegions: readonly string[];
  private stopping = false;
  private wake: (() => void) | undefined;
  private current: string | undefined;
  readonly windows: FaultWindow[] = [];

  constructor(options: {
    target: ClusterTarget;
    network: ProxyNetwork;
    clock: MonotonicClock;
    schedule: readonly ScheduledFault[];
    originMs: number;
    quietMinMs: number;
    /** Damage to data at rest; absent: the corruption kinds are skipped. */
    corruption?: CorruptionNemesis;
    /** The emulated region of each node (--regions); absent: the region kinds are skipped. */
    regionOf?: (node: string) => string;
    /** The regions of the workload's clients, cut with their region by the region kinds. */
    clientRegions?: readonly string[];
  }) {
    this.regionOf = options.regionOf;
    this.clientRegions = options.clientRegions ?? [];
    this.corruption = options.corruption;
    this.quietMinMs = options.quietMinMs;
    this.target = options.target;
    this.network = options.network;
    this.clock = options.clock;
    this.schedule = options.schedule;
    this.originMs = options.originMs;
  }

  /** A short label of the fault in force, for the progress line. */
  currentFault(): string {
    return this.current ?? '-';
  }

  async run(): Promise<void> {
    let readyAtMs = 0;
    for (const fault of this.schedule) {
      await this.waitUntil(Math.max(this.originMs + fault.startMs, readyAtMs));
      if (this.stopping) return;
      await this.runFault(fault);
      readyAtMs = this.clock.nowMs() + this.quietMinMs;
    }
  }

  stop(): void {
    this.stopping = true;
    this.wake?.();
  }

  private async runFault(fault: ScheduledFault): Promise<void> {
    const startMs = this.clock.nowMs();
    const window: FaultWindow = { index: fault.index, kind: fault.kind, startMs, endMs: startMs, nodes: [], detail: '' };
    this.windows.push(window);
    let injected: Injected | undefined;
    try {
      injected = await this.inject(fault);
      window.nodes = injected.nodes;
      window.detail = injected.detail;
      if (injected.damage !== undefined) window.damage = injected.damage;
      if (injected.cutAtMs !== undefined) window.cutAtMs = injected.cutAtMs;
      this.current = `${fault.kind} ${injected.nodes.join(',')}`;
      await this.waitUntil(startMs + fault.durationMs);
    } catch (error) {
      if (error instanceof SkipFault) window.skipped = error.message;
      else window.error = describe(error);
    }
    try {
      if (injected !== undefined) {
        const healStartMs = this.clock.nowMs();
        await injected.heal();
        window.healedAtMs = injected.healedAtMs ?? healStartMs;
      }
    } catch (error) {
      window.error = `${window.error ?? ''}heal: ${describe(error)}`;
    }
    if (injected?.expectation !== undefined) window.expectation = injected.expectation;
    window.endMs = this.clock.nowMs();
    this.current = undefined;
  }

  private async waitUntil(atMs: number): Promise<void> {
    const waitMs = atMs - this.clock.nowMs();
    if (waitMs <= 0 || this.stopping) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, waitMs);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  private async inject(fault: ScheduledFault): Promise<Injected> {
    const prng = new Prng(fault.choiceSeed);
    switch (fault.kind) {
      case 'kill-leader':
        return this.killNode(await this.requireLeader());
      case 'kill-random':
        return this.killNode(prng.pick(this.target.nodeIds()));
      case 'pause-leader':
        return this.pauseNode(await this.requireLeader());
      case 'pause-random':
        return this.pauseNode(prng.pick(this.target.nodeIds()));
      case 'wipe':
        return this.wipeNode(await this.pickFollower(prng));
      case 'partition-leader':
        return this.isolate(await this.requireLeader());
      case 'partition-minority':
        return this.partitionMinority(prng);
      case 'partition-bridge':
        return this.partitionBridge(prng);
      case 'partition-ring':
        return this.partitionRing(prng);
      case 'partition-one-way':
        return this.partitionOneWay(prng);
      case 'latency':
        return this.latencySpike(prng);
      case 'transfer-leadership':
        return this.transferLeadership(prng);
      case 'member-churn':
        return this.memberChurn(prng);
      case 'fsync-delay':
        return this.diskFault({ node: prng.pick(this.target.nodeIds()), failpoint: 'fsync-delay-ms=50', mustStop: false });
      case 'fsync-fail':
        return this.diskFault({ node: await this.pickFollower(prng), failpoint: 'fsync-fail', mustStop: true });
      case 'disk-full':
        return this.diskFault({ node: await this.pickFollower(prng), failpoint: 'disk-full', mustStop: true });
      case 'cloudflare':
        return this.partialLeaderPartition(prng);
      case 'corrupt-log-tail':
      case 'truncate-log-tail':
      case 'corrupt-state-table':
        return this.damageMember(fault.kind, prng);
      case 'region-outage':
        return this.regionOutage();
      case 'region-partition':
        return this.regionPartition(prng);
    }
  }

  private async requireLeader(): Promise<string> {
    for (let attempt = 0; attempt < 10; attempt += 1) {
      const leader = await this.target.findLeader();
      if (leader !== undefined) return leader;
      await sleep(200);
    }
    throw new SkipFault('no leader found');
  }

  private async pickFollower(prng: Prng): Promise<string> {
    const leader = await this.target.findLeader();
    const followers = this.target.nodeIds().filter((id) => id !== leader);
    if (followers.length === 0) throw new SkipFault('no follower');
    return prng.pick(followers);
  }

  private async killNode(node: string): Promise<Injected> {
    await this.target.kill(node);
    return {
      nodes: [node],
      detail: `SIGKILL ${node}`,
      heal: () => this.target.restart(node),
    };
  }

  private async pauseNode(node: string): Promise<Injected> {
    await this.target.pause(node);
    return { nodes: [node], detail: `SIGSTOP ${node}`, heal: () => this.target.resume(node) };
  }

  private async wipeNode(node: string): Promise<Injected> {
    if (!this.target.capabilities.membership) throw new SkipFault(`${this.target.kind}: no membership changes`);
    const before = new Set(this.target.nodeIds());
    await this.target.wipeAndRejoin(node);
    const added = this.target.nodeIds().filter((id) => !before.has(id));
    return {
      nodes: [node, ...added],
      detail: `wiped ${node}, rejoined as ${added.length > 0 ? added.join(',') : node}`,
      heal: async () => {},
    };
  }

  private cutGroups(options: {
    a: readonly string[];
    b: readonly string[];
    oneWay?: boolean;
    mode?: 'blackhole' | 'reset';
  }): string[] {
    const links: string[] = [];
    for (const x of options.a) {
      for (const y of options.b) {
        if (x === y) continue;
        this.network.cut({ a: x, b: y, oneWay: options.oneWay ?? false, mode: options.mode ?? 'blackhole' });
        links.push(options.oneWay === true ? `${x}->${y}` : `${x}<->${y}`);
      }
    }
    return links;
  }

  private healNetwork(): Heal {
    return async () => this.network.healAll();
  }

  /** The leader's region and its nodes, and every other node. */
  private async leaderRegion(): Promise<{ region: string; inside: string[]; outside: string[] }> {
    const regionOf = this.regionOf;
    if (regionOf === undefined) throw new SkipFault('no regions (--regions)');
    const leader = await this.requireLeader();
    const region = regionOf(leader);
    const nodes = this.target.nodeIds();
    return { region, inside: nodes.filter((n) => regionOf(n) === region), outside: nodes.filter((n) => regionOf(n) !== region) };
  }

  /**
   * The leader's region goes dark: every link into it is cut (peers and clients), then its
   * members are killed; the heal starts them again and reconnects the region.
   */
  private async regionOutage(): Promise<Injected> {
    const { region, inside, outside } = await this.leaderRegion();
    const clients = this.clientsBy(region);
    const cutAtMs = this.clock.nowMs();
    this.cutGroups({ a: inside, b: [...outside, 'client', ...clients.outside] });
    // The region's own clients go dark with it.
    this.cutGroups({ a: clients.inside, b: outside });
    for (const node of inside) await this.target.kill(node);
    const injected: Injected = {
      nodes: inside,
      detail: `region ${region} out: links cut, then [${inside.join(',')}] killed`,
      cutAtMs,
      heal: async () => {
        for (const node of inside) await this.target.restart(node);
        this.network.healAll();
        injected.healedAtMs = this.clock.nowMs();
        // The region is back once its members answer: on a loaded machine a start takes seconds,
        // and the next fault must not begin (its quiet time counting) while they still boot,
        // or it would take out a quorum the schedule meant to leave standing.
        await this.untilAnswering(inside, REGION_BACK_TIMEOUT_MS);
      },
    };
    return injected;
  }

  /** Waits (at most timeoutMs) until every one of `nodes` answers its own status. */
  private async untilAnswering(nodes: readonly string[], timeoutMs: number): Promise<void> {
    const memberHealth = this.target.memberHealth?.bind(this.target);
    if (memberHealth === undefined) return;
    const deadlineMs = this.clock.nowMs() + timeoutMs;
    for (const node of nodes) {
      while (!this.stopping && this.clock.nowMs() < deadlineMs) {
        if ((await memberHealth(node, 1000).catch(() => undefined)) !== undefined) break;
        await sleep(200);
      }
    }
  }

  /** One region (the leader's half the time) cut off from the others but alive, clients included. */
  private async regionPartition(prng: Prng): Promise<Injected> {
    const regionOf = this.regionOf;
    if (regionOf === undefined) throw new SkipFault('no regions (--regions)');
    const nodes = this.target.nodeIds();
    const region = prng.next() < 0.5 ? (await this.leaderRegion()).region : regionOf(prng.pick(nodes));
    const inside = nodes.filter((n) => regionOf(n) === region);
    const outside = nodes.filter((n) => regionOf(n) !== region);
    const clients = this.clientsBy(region);
    this.cutGroups({ a: inside, b: [...outside, ...clients.outside] });
    this.cutGroups({ a: clients.inside, b: outside });
    return { nodes: inside, detail: `region ${region} [${inside.join(',')}] cut off from [${outside.join(',')}], with its clients`, heal: this.healNetwork() };
  }

  /** The dialer ids of the workload's clients in `region` and in every other region. */
  private clientsBy(region: string): { inside: string[]; outside: string[] } {
    return {
      inside: this.clientRegions.filter((r) => r === region).map(clientDialerOf),
      outside: this.clientRegions.filter((r) => r !== region).map(clientDialerOf),
    };
  }

  private isolate(node: string): Injected {
    const others = this.target.nodeIds().filter((id) => id !== node);
    this.cutGroups({ a: [node], b: others });
    return { nodes: [node], detail: `isolated ${node}`, heal: this.healNetwork() };
  }

  private partitionMinority(prng: Prng): Injected {
    const nodes = prng.shuffle(this.target.nodeIds());
    const minority = nodes.slice(0, Math.floor((nodes.length - 1) / 2));
    const majority = nodes.slice(minority.length);
    // Half of these partitions drop packets (connections hang), half reset connections (fail fast).
    const mode = prng.next() < 0.5 ? 'blackhole' : 'reset';
    this.cutGroups({ a: minority, b: majority, mode });
    return {
      nodes: minority,
      detail: `minority [${minority.join(',')}] | majority [${majority.join(',')}] (${mode})`,
      heal: this.healNetwork(),
    };
  }

  private partitionBridge(prng: Prng): Injected {
    const nodes = prng.shuffle(this.target.nodeIds());
    const half = Math.floor(nodes.length / 2);
    const left = nodes.slice(0, half);
    const bridge = nodes[half] as string;
    const right = nodes.slice(half + 1);
    const mode = prng.next() < 0.5 ? 'blackhole' : 'reset';
    this.cutGroups({ a: left, b: right, mode });
    return {
      nodes: [bridge],
      detail: `[${left.join(',')}] | [${right.join(',')}], bridged by ${bridge} (${mode})`,
      heal: this.healNetwork(),
    };
  }

  /**
   * Majorities ring: each node reaches only its ring neighbours. With 3 nodes every pair is
   * adjacent, so the ring is made one-way instead: each node can send only to its successor.
   */
  private partitionRing(prng: Prng): Injected {
    const ring = prng.shuffle(this.target.nodeIds());
    const n = ring.length;
    const links: string[] = [];
    for (let i = 0; i < n; i += 1) {
      for (let j = 0; j < n; j += 1) {
        if (i === j) continue;
        const distance = Math.min((i - j + n) % n, (j - i + n) % n);
        const from = ring[i] as string;
        const to = ring[j] as string;
        if (n <= 3 ? (j - i + n) % n !== 1 : distance > 1) {
          this.network.setFault(from, to, { mode: 'blackhole' });
          links.push(`${from}-/->${to}`);
        }
      }
    }
    return { nodes: ring, detail: `ring ${ring.join('>')} (cut ${links.join(' ')})`, heal: this.healNetwork() };
  }

  private async partitionOneWay(prng: Prng): Promise<Injected> {
    const leader = await this.requireLeader();
    const others = this.target.nodeIds().filter((id) => id !== leader);
    const outbound = prng.next() < 0.5;
    if (outbound) this.cutGroups({ a: [leader], b: others, oneWay: true });
    else this.cutGroups({ a: others, b: [leader], oneWay: true });
    return {
      nodes: [leader],
      detail: outbound ? `leader ${leader} cannot send to peers` : `peers cannot send to leader ${leader}`,
      heal: this.healNetwork(),
    };
  }

  private async latencySpike(prng: Prng): Promise<Injected> {
    const leader = (await this.target.findLeader()) ?? prng.pick(this.target.nodeIds());
    const latencyMs = Math.round(prng.float(100, 400));
    const jitterMs = Math.round(latencyMs / 4);
    for (const other of this.target.nodeIds()) {
      if (other === leader) continue;
      this.network.setFault(leader, other, { latencyMs, jitterMs });
      this.network.setFault(other, leader, { latencyMs, jitterMs });
    }
    for (const client of ['client', ...this.clientRegions.map(clientDialerOf)]) this.network.setFault(client, leader, { latencyMs, jitterMs });
    return {
      nodes: [leader],
      detail: `+${latencyMs}..${latencyMs + jitterMs} ms on every link of ${leader}`,
      heal: this.healNetwork(),
    };
  }

  private async transferLeadership(prng: Prng): Promise<Injected> {
    if (!this.target.capabilities.transferLeadership) throw new SkipFault(`${this.target.kind}: no leadership transfer`);
    const leader = await this.requireLeader();
    const to = prng.pick(this.target.nodeIds().filter((id) => id !== leader));
    await this.target.transferLeadership(to);
    return { nodes: [leader, to], detail: `leadership ${leader} -> ${to}`, heal: async () => {} };
  }

  private async memberChurn(prng: Prng): Promise<Injected> {
    if (!this.target.capabilities.membership) throw new SkipFault(`${this.target.kind}: no membership changes`);
    const node = await this.pickFollower(prng);
    await this.target.removeMember(node);
    return {
      nodes: [node],
      detail: `removed ${node}, added back when healed`,
      heal: () => this.target.addMember(node),
    };
  }

  private async diskFault(options: { node: string; failpoint: string; mustStop: boolean }): Promise<Injected> {
    if (!this.target.capabilities.diskFaults) throw new SkipFault(`${this.target.kind}: no disk failpoints`);
    const { node, failpoint, mustStop } = options;
    await this.target.restart(node, { failpoints: [failpoint] });
    const injected: Injected = {
      nodes: [node],
      detail: `${node} restarted with --failpoints ${failpoint}`,
      heal: () => this.target.restart(node),
    };
    if (mustStop) {
      // The node must stop rather than serve from a log it could not make durable.
      const stopped = await this.target.waitForExit(node, 15_000);
      injected.expectation = { description: `${node} stops when ${failpoint} hits`, met: stopped };
    }
    return injected;
  }

  /**
   * Stop a member (SIGKILL or SIGTERM), damage its files, restart it; healed once it is repaired or
   * stopped (it must be one of the two: the expectation), which keeps damage to one member at a time.
   */
  private async damageMember(kind: DamageKind, prng: Prng): Promise<Injected> {
    if (!this.target.capabilities.diskCorruption) throw new SkipFault(`${this.target.kind}: no disk corruption`);
    if (this.corruption === undefined) throw new SkipFault('no corruption nemesis in this run');
    const blocked = this.corruption.blockedBy();
    if (blocked !== undefined) throw new SkipFault(blocked);
    const running = this.target.nodeIds().filter((id) => this.target.isRunning(id));
    if (running.length < this.target.nodeIds().length) throw new SkipFault('a member is down already');
    const member = prng.pick(running);
    let injected: Awaited<ReturnType<CorruptionNemesis['inject']>>;
    try {
      injected = await this.corruption.inject({ kind, member, prng });
    } catch (error) {
      if (error instanceof NothingToDamage) throw new SkipFault(error.message);
      throw error;
    }
    const { report, settle } = injected;
    const expectation = { description: `${member} repaired, or stopped judging repair unsafe, after ${kind}`, met: false };
    return {
      nodes: [member],
      detail: `${report.stop} ${member}; ${report.detail}; restarted`,
      damage: report,
      expectation,
      heal: async () => {
        expectation.met = await settle();
      },
    };
  }

  /**
   * The partial partition of Cloudflare's November 2020 incident: the leader can reach some peers
   * but not others, while those peers still reach each other.
   */
  private async partialLeaderPartition(prng: Prng): Promise<Injected> {
    const leader = await this.requireLeader();
    const followers = prng.shuffle(this.target.nodeIds().filter((id) => id !== leader));
    const unreachable = followers.slice(0, Math.max(1, Math.floor(followers.length / 2)));
    this.cutGroups({ a: [leader], b: unreachable });
    return {
      nodes: [leader, ...unreachable],
      detail: `leader ${leader} cut from [${unreachable.join(',')}], still reaches [${followers
        .filter((f) => !unreachable.includes(f))
        .join(',')}]`,
      heal: this.healNetwork(),
    };
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
