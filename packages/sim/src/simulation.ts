import { checkHistory } from '@holdfast/checker';
import { type ConfChange, type ConfState, type Message, type NodeId, Prng, type RaftConfig, type RaftCore } from '@holdfast/raft';
import type { CoreStorage } from './core.js';
import { SimDisk } from './disk.js';
import { EventLog } from './eventLog.js';
import { EventQueue } from './eventQueue.js';
import { type InvariantName, InvariantViolation, SafetyChecker } from './invariants.js';
import { encodeCommand, type KvCommand } from './kv.js';
import { type MembershipControl, MembershipDriver } from './membership.js';
import { type ClusterControl, NEMESIS_CONFIG_DEFAULT, Nemesis, type NemesisStats, scaleFaults } from './nemesis.js';
import { NETWORK_CONFIG_DEFAULT, SimNetwork } from './network.js';
import { type NodeAnswer, type NodeHost, SimNode, type NodePolicy } from './node.js';
import { bootstrapState, createCore, createStorage, isRefusal, readRoundsInFlightMaxOf } from './raftAdapter.js';
import { type PendingOperation, Workload, type WorkloadConfig } from './workload.js';

/** Deliberate defects that break safety, only to prove the checks can fail (self-test). */
export interface SimDefects {
  /** Disks lose the synced term and vote (a node may vote twice in one term after a crash). */
  readonly forgetsVote?: boolean;
  /** Nodes send votes and acknowledgements before their write is synced. */
  readonly ackBeforeSync?: boolean;
  /** Nodes answer reads from their own state at once, without ReadIndex (stale reads). */
  readonly localReads?: boolean;
}

export interface SimOptions {
  readonly seed: number;
  readonly nodeCount: number;
  /** Ticks of faults; each run ends with a healed cluster, a liveness check and a drain. */
  readonly steps: number;
  readonly defects?: SimDefects;
  /** Events kept for the failure report. Default 30. */
  readonly recentEventsMax?: number;
  /** Runs the linearizability checker over the client history at the end. Default true. */
  readonly checkLinearizability?: boolean;
  /**
   * Ticks a healed cluster has to elect a leader and commit a probe. Default 400, or 2000 when
   * the seed runs the core without pre-vote: then a member whose log is behind keeps starting
   * elections it cannot win, and only the randomized timeouts let the right candidate through
   * (FINDINGS.md, seed 263).
   */
  readonly livenessTicksMax?: number;
}

export interface SeedStats {
  ticks: number;
  events: number;
  messagesDelivered: number;
  messagesLost: number;
  leadersElected: number;
  snapshotsInstalled: number;
  logTruncations: number;
  unsyncedBatchesLost: number;
  operationsOk: number;
  operationsFailed: number;
  operationsUnknown: number;
  livenessChecks: number;
  undecidedKeys: number;
  nemesis: NemesisStats;
}

export interface SeedViolation {
  readonly invariant: InvariantName;
  readonly message: string;
}

export interface SeedResult {
  readonly seed: number;
  readonly nodeCount: number;
  readonly steps: number;
  readonly violation: SeedViolation | undefined;
  readonly recentEvents: string[];
  /** Digest of every event of the run: equal seeds give equal digests. */
  readonly digest: string;
  readonly stats: SeedStats;
}

/** The timing and bounds of the simulation itself; the core's settings are drawn per seed. */
const timing = {
  /** A tick a node's clock skips now and then, so that timers drift apart. */
  tickSkipProbability: 0.02,
  clientLatencyTicks: 1,
  /** Enough for a few elections at the longest election timeout drawn (15 ticks). */
  livenessTicksMax: 400,
  livenessTicksMaxWithoutPreVote: 2000,
  livenessIntervalTicks: 400,
  /** A probe that has not been answered after this long is replaced by a new one. */
  probeRetryTicks: 40,
  drainTicksMax: 80,
  membershipRetryTicks: 30,
  eventsPerRunMax: 2_000_000,
  eventQueueSizeMax: 200_000,
} as const;

const nemesisConfig = NEMESIS_CONFIG_DEFAULT;

type SimEvent =
  | { readonly kind: 'deliver'; readonly message: Message }
  | { readonly kind: 'sync'; readonly nodeId: NodeId; readonly incarnation: number }
  | { readonly kind: 'request'; readonly operation: PendingOperation }
  | { readonly kind: 'response'; readonly requestId: number; readonly answer: NodeAnswer; readonly leaderHint: NodeId }
  | { readonly kind: 'timeout'; readonly requestId: number };

/**
 * One seeded run: nodes running the core over a simulated network and disks, a nemesis, clients,
 * and the safety checks after every step. Everything random comes from generators forked from
 * the seed, in a fixed order, so the seed replays the run event for event.
 */
export class Simulation implements NodeHost, ClusterControl, MembershipControl {
  readonly checker = new SafetyChecker();
  readonly network: SimNetwork;
  readonly defects: SimDefects;
  now = 0;
  private historyClock = 0;
  private readonly nodes = new Map<NodeId, SimNode>();
  private readonly queue = new EventQueue<SimEvent>(timing.eventQueueSizeMax);
  private readonly log: EventLog;
  private readonly random: Prng;
  private readonly nodeRandom: Prng;
  private readonly nemesis: Nemesis;
  private readonly membership: MembershipDriver;
  private readonly workload: Workload;
  private readonly workloadConfig: WorkloadConfig;
  private readonly nodePolicy: NodePolicy;
  private readonly coreSettings: CoreSettings;
  private diskLatencyTicksMax = nemesisConfig.diskLatencyTicksNormal;
  private nextRequestId = 1;
  private nextNodeId: NodeId;
  private clientsStopped = false;
  private readonly probes = new Map<number, { proposedAt: number; done: boolean }>();
  private readonly faultIntensity: number;
  readonly stats: SeedStats;

  constructor(private readonly options: SimOptions) {
    if (options.nodeCount < 1 || options.nodeCount > 9) throw new RangeError(`nodeCount ${options.nodeCount} not in [1, 9]`);
    if (!Number.isSafeInteger(options.steps) || options.steps < 0) throw new RangeError(`bad steps ${options.steps}`);
    const root = new Prng(options.seed);
    this.random = root.fork();
    this.nodeRandom = root.fork();
    this.network = new SimNetwork(NETWORK_CONFIG_DEFAULT, root.fork());
    const nemesisRandom = root.fork();
    // Some seeds are calm, some stormy: fault rates are scaled by a factor drawn per seed.
    this.faultIntensity = 0.3 + 1.7 * nemesisRandom.next();
    this.nemesis = new Nemesis(scaleFaults(nemesisConfig, this.faultIntensity), nemesisRandom);
    this.membership = new MembershipDriver(timing.membershipRetryTicks, root.fork());
    this.workloadConfig = workloadConfig(options.steps);
    this.workload = new Workload(this.workloadConfig, root.fork());
    this.coreSettings = { ...drawCoreSettings(this.random), readRoundsInFlightMax: readRoundsInFlightMaxOf(options.seed) };
    this.nodePolicy = {
      snapshotEveryEntries: this.random.int(6, 40),
      entriesKeptAfterCompaction: this.random.int(0, 8),
      stepsDuringWrite: this.random.chance(0.5),
    };
    this.defects = options.defects ?? {};
    this.log = new EventLog(options.recentEventsMax ?? 30);
    this.nextNodeId = options.nodeCount + 1;
    this.stats = {
      ticks: 0,
      events: 0,
      messagesDelivered: 0,
      messagesLost: 0,
      leadersElected: 0,
      snapshotsInstalled: 0,
      logTruncations: 0,
      unsyncedBatchesLost: 0,
      operationsOk: 0,
      operationsFailed: 0,
      operationsUnknown: 0,
      livenessChecks: 0,
      undecidedKeys: 0,
      nemesis: this.nemesis.stats,
    };
  }

  run(): void {
    this.bootstrap();
    for (let step = 1; step <= this.options.steps; step++) {
      this.runTick(true);
      if (step % timing.livenessIntervalTicks === 0 && step < this.options.steps) this.runLivenessCheck('mid-run');
    }
    this.runLivenessCheck('end of run');
    this.drainClients();
    this.sweepLogs();
    this.countOutcomes();
    if (this.options.checkLinearizability ?? true) this.checkLinearizability();
  }

  get eventLog(): EventLog {
    return this.log;
  }

  private bootstrap(): void {
    const voters: NodeId[] = [];
    for (let id = 1; id <= this.options.nodeCount; id++) voters.push(id);
    const initial = bootstrapState(voters);
    for (const id of voters) {
      const node = this.createNode(id);
      node.disk.format(initial);
      node.start();
    }
    this.record(
      `bootstrap ${voters.length} voters; snapshot every ${this.nodePolicy.snapshotEveryEntries} entries; ` +
        `${this.nodePolicy.stepsDuringWrite ? 'steps' : 'holds calls'} during writes; ` +
        `fault intensity ${this.faultIntensity.toFixed(2)}; ${describeSettings(this.coreSettings)}`,
    );
  }

  private createNode(id: NodeId): SimNode {
    const disk = new SimDisk(this.defects.forgetsVote ? { forgetsVote: true } : {});
    const node = new SimNode(id, this, this.nodePolicy, disk);
    this.nodes.set(id, node);
    return node;
  }

  // ---- the step loop ----

  private runTick(withFaults: boolean): void {
    this.now++;
    this.stats.ticks++;
    if (withFaults) this.nemesis.act(this.now, this);
    this.membership.advance(this);
    this.startClientOperations();
    this.processDueEvents();
    for (const node of this.nodes.values()) {
      if (node.isUp && !this.random.chance(timing.tickSkipProbability)) node.tick();
    }
    this.pumpReadies();
    this.checkStep();
  }

  private processDueEvents(): void {
    for (;;) {
      const time = this.queue.peekTime();
      if (time === undefined || time > this.now) return;
      const event = this.queue.pop();
      if (event === undefined) return;
      this.stats.events++;
      if (this.stats.events > timing.eventsPerRunMax) throw new RangeError('too many events in one run');
      this.handleEvent(event.item);
      this.pumpReadies();
      this.checkStep();
    }
  }

  private handleEvent(event: SimEvent): void {
    switch (event.kind) {
      case 'deliver':
        this.deliverMessage(event.message);
        return;
      case 'sync': {
        const node = this.nodes.get(event.nodeId);
        if (node !== undefined && node.incarnation === event.incarnation) node.finishWrite();
        return;
      }
      case 'request':
        this.handleRequest(event.operation);
        return;
      case 'response':
        this.handleResponse(event.requestId, event.answer, event.leaderHint);
        return;
      case 'timeout':
        if (this.workload.isPending(event.requestId)) {
          this.record(`client op ${event.requestId} timed out`);
          this.workload.abandon(event.requestId, this.historyTime());
        }
        return;
    }
  }

  /** Hands every node its pending Readies until none is left (a sync pauses a node). */
  private pumpReadies(): void {
    for (let round = 0; ; round++) {
      if (round > 10_000) throw new RangeError('Ready loop does not settle');
      let progressed = false;
      for (const node of this.nodes.values()) progressed = node.maybeHandleReady() || progressed;
      if (!progressed) return;
    }
  }

  /** The checks that look at every node's current values after each step. */
  private checkStep(): void {
    for (const node of this.nodes.values()) {
      if (node.isUp) this.checker.observeAppliedIndex(node.id, node.applied, node.commit);
    }
  }

  private historyTime(): number {
    return ++this.historyClock;
  }

  // ---- NodeHost ----

  record(description: string): void {
    this.log.record(this.now, description);
  }

  send(node: SimNode, messages: readonly Message[]): void {
    for (const message of messages) {
      const target = this.nodes.get(message.to);
      if (target === undefined || target.retired) {
        this.stats.messagesLost++;
        continue;
      }
      const delays = this.network.route(message.from, message.to);
      if (delays.length === 0) this.handleLoss(node, message);
      for (const delay of delays) this.queue.push(this.now + delay, { kind: 'deliver', message });
    }
  }

  private handleLoss(sender: SimNode, message: Message): void {
    this.stats.messagesLost++;
    if (message.type === 'snapshot') sender.whenFree((core) => core.reportSnapshot(message.to, 'failed'));
    else if (!this.network.isLinkUp(message.from, message.to) && message.type === 'append') {
      sender.whenFree((core) => core.reportUnreachable(message.to));
    }
  }

  private deliverMessage(message: Message): void {
    const target = this.nodes.get(message.to);
    const sender = this.nodes.get(message.from);
    if (target === undefined || !target.isUp || target.retired || !this.network.isLinkUp(message.from, message.to)) {
      this.record(`lost ${describeMessage(message)}`);
      if (sender !== undefined) this.handleLoss(sender, message);
      return;
    }
    this.stats.messagesDelivered++;
    this.record(describeMessage(message));
    target.deliver(message);
    if (message.type === 'snapshot') {
      this.stats.snapshotsInstalled++;
      sender?.whenFree((core) => core.reportSnapshot(message.to, 'finished'));
    }
  }

  scheduleSync(node: SimNode): void {
    const latency = this.random.int(0, this.diskLatencyTicksMax);
    this.queue.push(this.now + latency, { kind: 'sync', nodeId: node.id, incarnation: node.incarnation });
  }

  answer(node: SimNode, requestId: number, answer: NodeAnswer): void {
    const probe = this.probes.get(requestId);
    if (probe !== undefined) {
      if (answer.outcome === 'ok') probe.done = true;
      else this.probes.delete(requestId);
      return;
    }
    if (!this.workload.isPending(requestId)) return;
    this.queue.push(this.now + timing.clientLatencyTicks, {
      kind: 'response',
      requestId,
      answer,
      leaderHint: node.leaderId,
    });
  }

  createCore(node: SimNode, storage: CoreStorage, applied: number): RaftCore {
    const random = this.nodeRandom.fork();
    return createCore({ ...this.coreSettings, id: node.id, storage, random: () => random.next(), applied });
  }

  createStorage(): CoreStorage {
    return createStorage();
  }

  durableTermOf(nodeId: NodeId, index: number): number {
    return this.nodes.get(nodeId)?.disk.durableTermAt(index) ?? 0;
  }

  noteLeaderElected(_node: SimNode): void {
    this.stats.leadersElected++;
  }

  noteLogTruncated(node: SimNode, fromIndex: number): void {
    this.stats.logTruncations++;
    this.record(`n${node.id} cuts its log from index ${fromIndex}`);
  }

  // ---- clients ----

  private startClientOperations(): void {
    if (this.clientsStopped) return;
    const members = this.members();
    const started = this.workload.startOperations(members, {
      nextRequestId: () => this.nextRequestId++,
      invokeTime: () => this.historyTime(),
    });
    for (const operation of started) {
      this.record(`client ${operation.clientId} invokes op ${operation.requestId} ${describeInput(operation)} at n${operation.nodeId}`);
      this.queue.push(this.now + timing.clientLatencyTicks, { kind: 'request', operation });
      this.queue.push(this.now + this.workloadConfig.timeoutTicks, {
        kind: 'timeout',
        requestId: operation.requestId,
      });
    }
  }

  private handleRequest(operation: PendingOperation): void {
    const node = this.nodes.get(operation.nodeId);
    if (node === undefined || !node.isUp || node.retired) {
      this.answerDirect(operation.requestId, { outcome: 'failed', reason: 'connection refused' });
      return;
    }
    node.whenFree((core) => this.serveRequest(node, core, operation));
  }

  private answerDirect(requestId: number, answer: NodeAnswer): void {
    this.queue.push(this.now + timing.clientLatencyTicks, { kind: 'response', requestId, answer, leaderHint: 0 });
  }

  private serveRequest(node: SimNode, core: RaftCore, operation: PendingOperation): void {
    try {
      if (operation.input.kind === 'get' && this.defects.localReads) {
        this.answer(node, operation.requestId, { outcome: 'ok', readValue: node.readValue(operation.key) });
        return;
      }
      if (operation.input.kind === 'get') {
        core.readIndex(operation.requestId);
        node.awaitRead(operation.requestId, operation.key);
        return;
      }
      const proposal = core.propose([encodeCommand(commandFor(operation))]);
      node.awaitProposal(operation.requestId, proposal.firstIndex, proposal.term);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      this.answer(node, operation.requestId, { outcome: 'failed', reason: errorCode(error) });
    }
  }

  private handleResponse(requestId: number, answer: NodeAnswer, leaderHint: NodeId): void {
    if (!this.workload.isPending(requestId)) return;
    this.record(`client op ${requestId} returns ${describeAnswer(answer)}`);
    if (answer.outcome === 'unknown') this.workload.abandon(requestId, this.historyTime());
    else this.workload.complete(requestId, answer, this.historyTime(), leaderHint);
  }

  private drainClients(): void {
    this.clientsStopped = true;
    for (let tick = 0; tick < timing.drainTicksMax && this.workload.pendingCount > 0; tick++) this.runTick(false);
    this.workload.abandonAll(this.historyTime());
  }

  private countOutcomes(): void {
    for (const operation of this.workload.history) {
      if (operation.outcome === 'ok') this.stats.operationsOk++;
      else if (operation.outcome === 'failed') this.stats.operationsFailed++;
      else this.stats.operationsUnknown++;
    }
  }

  // ---- ClusterControl and MembershipControl ----

  members(): NodeId[] {
    const out: NodeId[] = [];
    for (const node of this.nodes.values()) if (!node.retired) out.push(node.id);
    return out;
  }

  upMembers(): NodeId[] {
    const out: NodeId[] = [];
    for (const node of this.nodes.values()) if (!node.retired && node.isUp) out.push(node.id);
    return out;
  }

  /** The up node that believes it leads the highest term, or 0. */
  leaderId(): NodeId {
    return this.leaderNode()?.id ?? 0;
  }

  private leaderNode(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const node of this.nodes.values()) {
      if (node.role === 'leader' && (best === undefined || node.term > best.term)) best = node;
    }
    return best;
  }

  crash(id: NodeId): void {
    const node = this.nodes.get(id);
    if (node === undefined || !node.isUp) return;
    const pending = node.disk.pendingBatchCount;
    // Now and then the operating system flushed some of the unsynced batches before the crash.
    const surviving = pending > 0 && this.random.chance(0.3) ? this.random.int(1, pending) : 0;
    this.stats.unsyncedBatchesLost += pending - surviving;
    this.record(`n${id} crashes; ${pending - surviving} of ${pending} unsynced write batches lost`);
    this.abandonWaiting(node.crash(surviving));
  }

  private abandonWaiting(requestIds: readonly number[]): void {
    for (const requestId of requestIds) {
      if (this.probes.delete(requestId)) continue;
      this.workload.abandon(requestId, this.historyTime());
    }
  }

  restart(id: NodeId): void {
    const node = this.nodes.get(id);
    if (node === undefined || node.isUp || node.retired) return;
    node.start();
    this.record(`n${id} restarts: term ${node.term} commit ${node.commit} applied ${node.applied}`);
  }

  pause(id: NodeId): void {
    const node = this.nodes.get(id);
    if (node === undefined || !node.isUp || node.isPaused) return;
    node.pause();
    this.record(`n${id} paused`);
  }

  resume(id: NodeId): void {
    const node = this.nodes.get(id);
    if (node === undefined || !node.isPaused) return;
    this.record(`n${id} resumes`);
    node.resume();
  }

  setDiskLatencyTicksMax(ticks: number): void {
    this.diskLatencyTicksMax = ticks;
  }

  transferLeadership(from: NodeId, to: NodeId): void {
    const node = this.nodes.get(from);
    if (node === undefined || !(node.confState?.voters.includes(to) ?? false)) return;
    this.record(`n${from} asked to hand leadership to n${to}`);
    node.whenFree((core) => this.refusalAllowed(() => core.transferLeadership(to)));
  }

  beginMembershipChange(): boolean {
    return this.membership.begin(this);
  }

  leaderConfState(): ConfState | undefined {
    return this.leaderNode()?.confState;
  }

  leaderCommit(): number {
    return this.leaderNode()?.commit ?? 0;
  }

  proposeConfChange(change: ConfChange): boolean {
    const leader = this.leaderNode();
    if (leader === undefined || leader.isBusy) return false;
    const core = leader.core;
    if (core === undefined) return false;
    const accepted = this.refusalAllowed(() => core.proposeConfChange(change));
    this.record(`n${leader.id} ${accepted ? 'proposes' : 'refuses'} ${change.type} ${change.nodeId}`);
    return accepted;
  }

  /** Runs a call the core may refuse; true if it was accepted. Other errors are bugs. */
  private refusalAllowed(call: () => void): boolean {
    try {
      call();
      return true;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      return false;
    }
  }

  retire(id: NodeId): void {
    const node = this.nodes.get(id);
    if (node === undefined) return;
    this.abandonWaiting(node.crash());
    node.retired = true;
    this.record(`n${id} retired`);
  }

  addNode(id: NodeId): void {
    if (this.nodes.has(id)) return;
    this.createNode(id).start();
    this.record(`n${id} started with an empty disk`);
  }

  appliedIndexOf(id: NodeId): number {
    return this.nodes.get(id)?.applied ?? 0;
  }

  allocateNodeId(): NodeId {
    return this.nextNodeId++;
  }

  // ---- liveness and end-of-run checks ----

  /** Heals every fault, then requires a leader and a committed probe within a bound. */
  private runLivenessCheck(label: string): void {
    this.stats.livenessChecks++;
    this.sweepLogs();
    this.nemesis.healAll(this);
    this.pumpReadies();
    const startedAt = this.now;
    let probeId = 0;
    const livenessTicksMax =
      this.options.livenessTicksMax ??
      (this.coreSettings.preVote === false ? timing.livenessTicksMaxWithoutPreVote : timing.livenessTicksMax);
    while (this.now - startedAt < livenessTicksMax) {
      const probe = this.probes.get(probeId);
      if (probe?.done) {
        this.probes.delete(probeId);
        this.record(`liveness (${label}): probe committed after ${this.now - startedAt} ticks`);
        return;
      }
      if (probe === undefined || this.now - probe.proposedAt > timing.probeRetryTicks) {
        if (probe !== undefined) this.probes.delete(probeId);
        probeId = this.maybeProposeProbe();
      }
      this.runTick(false);
    }
    throw new InvariantViolation(
      'liveness',
      `${label}: no leader committed a proposal within ${livenessTicksMax} ticks of healing; ${this.describeCluster()}`,
    );
  }

  private maybeProposeProbe(): number {
    const leader = this.leaderNode();
    const core = leader?.core;
    if (leader === undefined || core === undefined || leader.isBusy) return 0;
    const requestId = this.nextRequestId++;
    const command: KvCommand = { op: requestId, kind: 'probe' };
    try {
      const proposal = core.propose([encodeCommand(command)]);
      leader.awaitProposal(requestId, proposal.firstIndex, proposal.term);
      this.probes.set(requestId, { proposedAt: this.now, done: false });
      this.record(`liveness probe ${requestId} proposed at n${leader.id} index ${proposal.firstIndex}`);
      return requestId;
    } catch (error) {
      if (!isRefusal(error)) throw error;
      return 0;
    }
  }

  describeCluster(): string {
    const parts: string[] = [];
    for (const node of this.nodes.values()) {
      if (node.retired) continue;
      parts.push(`n${node.id} ${node.role} term ${node.term} commit ${node.commit} applied ${node.applied}`);
    }
    return `${parts.join('; ')}; membership ${this.membership.describe()}`;
  }

  /** Log matching over every stored entry of every up node, and completeness of the leader. */
  private sweepLogs(): void {
    for (const node of this.nodes.values()) {
      if (!node.isUp) continue;
      const stored = node.storedEntries();
      this.checker.observeStoredEntries(node.id, stored.entries, stored.prevTerm);
    }
    const leader = this.leaderNode();
    if (leader !== undefined) this.checker.observeLeaderLog(leader.id, leader.term, leader.logView());
  }

  private checkLinearizability(): void {
    const result = checkHistory(this.workload.history, { timeBudgetMsPerKey: 5_000 });
    this.stats.undecidedKeys = result.undecidedKeys.length;
    const violation = result.violations[0];
    if (violation === undefined) return;
    const operations = violation.operations.map((op) => JSON.stringify(op)).join('\n    ');
    throw new InvariantViolation(
      'linearizability',
      `key ${violation.key}: ${violation.explanation}\n    ${operations}`,
    );
  }
}

/** Core settings drawn per seed: small windows and messages exercise flow control and splitting. */
type CoreSettings = Omit<RaftConfig, 'id' | 'storage' | 'random' | 'applied'>;

function drawCoreSettings(random: Prng): CoreSettings {
  const electionTicks = random.int(6, 15);
  const messageBytesMax = random.pick([256, 512, 4096]);
  return {
    electionTicks,
    heartbeatTicks: random.int(1, Math.min(3, Math.floor(electionTicks / 3))),
    preVote: random.chance(0.8),
    checkQuorum: random.chance(0.8),
    messageBytesMax,
    inflightMessagesMax: random.pick([1, 4, 16]),
    inflightBytesMax: Math.max(messageBytesMax, random.pick([1024, 64 * 1024])),
    uncommittedBytesMax: random.pick([2048, 64 * 1024]),
    pendingReadsMax: random.pick([4, 256]),
  };
}

function describeSettings(settings: CoreSettings): string {
  return Object.entries(settings)
    .map(([name, value]) => `${name} ${String(value)}`)
    .join(', ');
}


function workloadConfig(steps: number): WorkloadConfig {
  return {
    clientCount: 4,
    keys: ['a', 'b', 'c'],
    startProbability: 0.3,
    timeoutTicks: 40,
    // Enough to keep clients busy for the whole run, bounded so the checker's work stays small.
    operationsMax: Math.max(50, Math.ceil(steps * 0.6)),
  };
}

function commandFor(operation: PendingOperation): KvCommand {
  const input = operation.input;
  const op = operation.requestId;
  switch (input.kind) {
    case 'put':
      return { op, kind: 'put', key: operation.key, value: input.value };
    case 'cas':
      return { op, kind: 'cas', key: operation.key, expected: input.expected, value: input.value };
    case 'delete':
      return { op, kind: 'delete', key: operation.key };
    case 'get':
      throw new Error('a read is not a command');
  }
}

function errorCode(error: unknown): string {
  return error instanceof Error && 'code' in error ? String(error.code) : String(error);
}

function describeMessage(message: Message): string {
  const parts = [`${message.type} n${message.from}->n${message.to} t${message.term}`];
  if (message.index !== 0 || message.logTerm !== 0) parts.push(`i${message.index}/${message.logTerm}`);
  if (message.entries.length > 0) parts.push(`+${message.entries.length}`);
  if (message.commit !== 0) parts.push(`c${message.commit}`);
  if (message.reject) parts.push(`reject hint ${message.rejectHint}/${message.rejectTerm}`);
  if (message.snapshot !== undefined) parts.push(`snap ${message.snapshot.meta.index}/${message.snapshot.meta.term}`);
  if (message.context !== 0) parts.push(`ctx ${message.context}`);
  return parts.join(' ');
}

function describeInput(operation: PendingOperation): string {
  const input = operation.input;
  switch (input.kind) {
    case 'get':
      return `get ${operation.key}`;
    case 'put':
      return `put ${operation.key}=${input.value}`;
    case 'cas':
      return `cas ${operation.key} ${input.expected}->${input.value}`;
    case 'delete':
      return `delete ${operation.key}`;
  }
}

function describeAnswer(answer: NodeAnswer): string {
  if (answer.outcome !== 'ok') return `${answer.outcome} (${answer.reason})`;
  if ('readValue' in answer) return `ok ${answer.readValue}`;
  return `ok ${JSON.stringify(answer.result)}`;
}

/** Runs one seed to completion; a violation (or a crash of the core) is returned, not thrown. */
export function runSeed(options: SimOptions): SeedResult {
  const simulation = new Simulation(options);
  let violation: SeedViolation | undefined;
  try {
    simulation.run();
  } catch (error) {
    violation = toViolation(error);
    simulation.record(`VIOLATION ${violation.invariant}: ${violation.message.split('\n')[0]}`);
  }
  return {
    seed: options.seed,
    nodeCount: options.nodeCount,
    steps: options.steps,
    violation,
    recentEvents: simulation.eventLog.recent(),
    digest: simulation.eventLog.digest(),
    stats: simulation.stats,
  };
}

function toViolation(error: unknown): SeedViolation {
  if (error instanceof InvariantViolation) return { invariant: error.invariant, message: error.message };
  if (error instanceof Error) {
    const where = (error.stack ?? '').split('\n').slice(1, 6).join('\n');
    return { invariant: 'coreError', message: `${error.name}: ${error.message}\n${where}` };
  }
  return { invariant: 'coreError', message: String(error) };
}
