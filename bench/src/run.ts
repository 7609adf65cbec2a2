import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Prng } from '@holdfast/raft';
import { EtcdTarget } from './etcd.js';
import { BenchHistory, type BenchOperation, MonotonicClock } from './history.js';
import { HoldfastTarget, REGION_TIMING } from './holdfast.js';
import { auditMember, awaitConvergence, type Convergence, loadFixedData } from './audit.js';
import { type AuditSummary, CorruptionNemesis } from './corruption.js';
import { type BadCredentialsSummary, BadCredentialsProber, badCredentialsFailures, type BenchSecurity, makeBenchSecurity } from './bad-credentials.js';
import { NemesisRunner } from './nemesis.js';
import { Progress } from './progress.js';
import { ProxyNetwork } from './proxy.js';
import { applyRegions, type RegionLayout, regionOf } from './regions.js';
import { type BenchReport, type BenchVerdict, type DamageVerdict, writeReports } from './report.js';
import { generateSchedule, isCorruptionKind, type NemesisKind } from './schedule.js';
import { computeFigures, type LeaderSample } from './stats.js';
import { type ClusterTarget, sleep, type TargetKind } from './target.js';
import { checkBoundedStaleness } from './staleness-check.js';
import { judgeLinearizability, plantStaleRead, readBackAndAccount } from './verdict.js';
import { type ChangeFeed, judgeWatch, type WatchVerdict, watchFailures } from './watch-check.js';
import { judgePrevKvChain, judgePrevKvReads, type PrevKvVerdict, prevKvFailures, sampleChanges } from './prevkv-check.js';
import { Workload, type WorkloadOptions } from './workload.js';
import { COORDINATION_PREFIX, type CoordinationOptions, type CoordinationVerdict, CoordinationWorkloads } from './coordination.js';

export interface BenchOptions {
  target: TargetKind;
  nodes: number;
  durationMs: number;
  nemeses: NemesisKind[];
  /** The bad-credentials nemesis (bad-credentials.ts): TLS and auth on, probed all run long. */
  badCredentials?: boolean;
  workload: WorkloadOptions;
  /** Run the key-value workload (register or mixed); false when only coordination workloads were asked for. */
  kvWorkload: boolean;
  /** The lock and lease workloads (holdfast only); absent: none. */
  coordination?: CoordinationOptions;
  seed: string;
  outDir: string;
  regions?: { name: string; layout: RegionLayout };
  /** holdfast: how leaders serve linearizable reads (--read-mode of every member); absent: read-index. */
  readMode?: 'read-index' | 'lease';
  /** holdfast with regions: --election-spread-ticks of every member; absent: REGION_TIMING's. */
  electionSpreadTicks?: number;
  /** holdfast with regions: --election-rank-slot-ticks of every member; absent: REGION_TIMING's. */
  electionRankSlotTicks?: number;
  warmupMs: number;
  cooldownMs: number;
  faultMs: { min: number; max: number };
  quietMs: { min: number; max: number };
  /** Checker budget per key. */
  checkBudgetMsPerKey: number;
  /** Limit on recorded operations. */
  operationsMax: number;
  /** Test-only: insert a stale read into the history; the verdict must then fail. */
  plantStaleRead: boolean;
  /** Test-only: one value read by a member audit gets a byte changed; the verdict must then fail. */
  plantCorruptRead: boolean;
  /** Keys of the fixed data set written before the workload (0 = none). */
  fixedKeys: number;
  /** Corruption nemesis: longest wait for a damaged member to be repaired or to stop. */
  repairTimeoutMs: number;
  progress: 'auto' | 'none';
  /** Keep the data folder after the run (default: removed, logs are copied into outDir). */
  keepData: boolean;
  log: (line: string) => void;
}

export interface BenchRunResult {
  report: BenchReport;
  outDir: string;
}

function createTarget(kind: TargetKind, prng: Prng, security: BenchSecurity | undefined, options: Pick<BenchOptions, 'readMode' | 'electionSpreadTicks' | 'electionRankSlotTicks'>): ClusterTarget {
  if (kind === 'etcd') return new EtcdTarget();
  const { readMode, electionSpreadTicks, electionRankSlotTicks } = options;
  return new HoldfastTarget({
    prng,
    ...(security === undefined ? {} : { security }),
    ...(readMode === undefined ? {} : { readMode }),
    ...(electionSpreadTicks === undefined ? {} : { electionSpreadTicks }),
    ...(electionRankSlotTicks === undefined ? {} : { electionRankSlotTicks }),
  });
}

/** Member ids the run's certificates name: every member a run may add (proxied or not). */
const SECURE_MEMBER_IDS_MAX = 32;

/** One bench run: cluster up, workload and faults for the duration, heal, read back, judge, report. */
export async function runBench(options: BenchOptions): Promise<BenchRunResult> {
  const prng = Prng.fromText(`run:${options.seed}`);
  const startedAt = new Date().toISOString();
  fs.mkdirSync(options.outDir, { recursive: true });
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), `holdfast-bench-${options.target}-`));
  const network = new ProxyNetwork({ prng: prng.fork() });
  const security = options.badCredentials === true ? makeBenchSecurity(path.join(runDir, 'certs'), SECURE_MEMBER_IDS_MAX) : undefined;
  const target = createTarget(options.target, prng.fork(), security, options);
  const schedule = generateSchedule({
    seed: options.seed,
    kinds: options.nemeses,
    runMs: options.durationMs,
    warmupMs: options.warmupMs,
    cooldownMs: options.cooldownMs,
    faultMs: options.faultMs,
    quietMs: options.quietMs,
  });
  options.log(`bench: ${options.target}, ${options.nodes} nodes, ${schedule.length} faults planned, data in ${runDir}`);
  const regionMap =
    options.regions === undefined
      ? undefined
      : Object.fromEntries(
          Array.from({ length: options.nodes }, (_, i) => [`n${i + 1}`, regionOf(options.regions!.layout, `n${i + 1}`)]),
        );
  try {
    await target.start({
      network,
      runDir,
      nodeCount: options.nodes,
      ...(regionMap === undefined ? {} : { regions: regionMap, clientRegions: options.regions!.layout.regions }),
    });
    if (options.regions !== undefined) {
      applyRegions({ network, layout: options.regions.layout, ...(target.memberRegion === undefined ? {} : { memberRegion: (node) => target.memberRegion?.(node) }) });
    }
    return await driveRun({ options, target, network, schedule, prng, startedAt });
  } finally {
    await target.stop().catch((error: unknown) => options.log(`stopping the cluster: ${String(error)}`));
    copyLogs({ target, outDir: options.outDir });
    await network.close();
    if (!options.keepData) fs.rmSync(runDir, { recursive: true, force: true });
  }
}

function copyLogs(options: { target: ClusterTarget; outDir: string }): void {
  const logsOut = path.join(options.outDir, 'logs');
  fs.mkdirSync(logsOut, { recursive: true });
  const source = options.target.logsDir();
  if (!fs.existsSync(source)) return;
  for (const name of fs.readdirSync(source)) {
    if (name.endsWith('.log')) fs.copyFileSync(path.join(source, name), path.join(logsOut, name));
  }
}

async function driveRun(context: {
  options: BenchOptions;
  target: ClusterTarget;
  network: ProxyNetwork;
  schedule: ReturnType<typeof generateSchedule>;
  prng: Prng;
  startedAt: string;
}): Promise<BenchRunResult> {
  const { options, target, network, schedule, prng } = context;
  const clock = new MonotonicClock();
  const history = new BenchHistory({ clock, operationsMax: options.operationsMax });
  const clientRegions = options.regions?.layout.regions;
  const workload = new Workload({
    workload: { ...options.workload, ...(clientRegions === undefined ? {} : { clientRegions }) },
    history,
    target,
    prng: prng.fork(),
  });
  const fixedPrng = prng.fork();
  if (options.fixedKeys > 0) {
    const loaded = await loadFixedData({ target, history, count: options.fixedKeys, prng: fixedPrng, deadlineMs: 10_000 });
    options.log(`fixed data set: ${loaded} of ${options.fixedKeys} keys written`);
  }
  const planted: string[] = [];
  const audit = memberAuditor({ options, target, history, planted });
  const corruption = options.nemeses.some(isCorruptionKind)
    ? new CorruptionNemesis({ target, clock, repairTimeoutMs: options.repairTimeoutMs, audit })
    : undefined;
  const workloadStartMs = clock.nowMs();
  const nemesis = new NemesisRunner({
    target,
    network,
    clock,
    schedule,
    originMs: workloadStartMs,
    quietMinMs: options.quietMs.min,
    ...(corruption === undefined ? {} : { corruption }),
    ...(options.regions === undefined
      ? {}
      : { regionOf: (node: string) => memberRegionOf(target, options.regions!.layout, node), clientRegions: options.regions.layout.regions }),
  });
  const leaderSamples: LeaderSample[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const atMs = clock.nowMs();
      leaderSamples.push({ atMs, leader: await target.findLeader().catch(() => undefined) });
      await sleep(250);
    }
  })();
  const progress = new Progress({ totalS: options.durationMs / 1000, label: options.target, mode: options.progress, write: options.log });
  const ticker = setInterval(() => {
    progress.update({
      elapsedS: (clock.nowMs() - workloadStartMs) / 1000,
      ok: workload.counters.ok,
      errors: workload.counters.failed + workload.counters.unknown,
      fault: nemesis.currentFault(),
    });
  }, 500);
  const feed = target.watchChanges?.();
  const coordination = startCoordination({ options, target, clock, prng });
  const prober = proberFor(target);
  prober?.start();
  if (options.kvWorkload) workload.start();
  const nemesisDone = nemesis.run();
  await sleep(options.durationMs);
  nemesis.stop();
  await nemesisDone;
  const badCredentials = await prober?.stop();
  await workload.stop();
  await coordination?.stop();
  const workloadEndMs = clock.nowMs();
  clearInterval(ticker);
  progress.stop();
  polling = false;
  await poller;
  await healEverything({ target, network, log: options.log });
  await coordination?.drain();
  const readBackClient = target.createKv({ clientIndex: 0, deadlineMs: 3000 });
  const lostWrites = await readBackAndAccount({ history, client: readBackClient, readTimeoutMs: 30_000 });
  readBackClient.close();
  const watch = await finishWatch({ feed, target, history });
  const prevKv = await checkPrevKv({ feed, target, log: options.log });
  const members = corruption !== undefined || options.plantCorruptRead ? await checkMembers({ target, audit }) : undefined;
  if (options.plantStaleRead) {
    const op = plantStaleRead(history);
    planted.push(op === undefined ? 'stale read requested but no key had an overwritten write' : `stale read of ${op.key} (op ${op.id})`);
  }
  options.log(`checking ${history.size} operations...`);
  const lin = judgeLinearizability({ operations: history.all(), timeBudgetMsPerKey: options.checkBudgetMsPerKey });
  const figures = computeFigures({
    operations: history.all(),
    windows: nemesis.windows,
    leaderSamples,
    workloadStartMs,
    workloadEndMs,
    ...(clientRegions === undefined ? {} : { clientRegions, readMode: options.readMode ?? 'read-index' }),
    ...leaderPreferenceOf(target, options.regions?.layout),
  });
  const coordinationVerdict = coordination?.judge(feed?.changes);
  const verdict = buildVerdict({
    lin,
    lostWrites,
    watch,
    prevKv,
    windows: nemesis.windows,
    okCount: figures.operations.ok + (coordination?.counters.ok ?? 0),
    members,
    operations: history.all(),
    coordination: coordinationVerdict,
    badCredentials,
  });
  if (badCredentials !== undefined) options.log(`bad credentials: ${badCredentialsLine(badCredentials)}`);
  const report: BenchReport = {
    version: 1,
    target: target.kind,
    startedAt: context.startedAt,
    clockEpochMs: Date.now() - clock.nowMs(),
    options: optionsForReport(options),
    seed: options.seed,
    schedule,
    faults: nemesis.windows,
    figures,
    verdict,
    planted,
    notes: runNotes({ options, target, figures }),
    outDir: options.outDir,
  };
  await writeReports({ report, workloadStartMs, outDir: options.outDir });
  writeHistory({ operations: history.all(), outDir: options.outDir });
  return { report, outDir: options.outDir };
}

/** The leader-region preference the target runs with, for the return-after-heal figures. */
function leaderPreferenceOf(target: ClusterTarget, layout: RegionLayout | undefined): { leaderPreference?: { region: string; regionOf: (node: string) => string } } {
  if (!(target instanceof HoldfastTarget) || target.preferredLeaderRegion === undefined || layout === undefined) return {};
  return { leaderPreference: { region: target.preferredLeaderRegion, regionOf: (node) => memberRegionOf(target, layout, node) } };
}

/** A member's region as the target registered it (the id rule for a target that does not say, or a member it does not know). */
function memberRegionOf(target: ClusterTarget, layout: RegionLayout, node: string): string {
  return target.memberRegion?.(node) ?? regionOf(layout, node);
}

function runNotes(context: { options: BenchOptions; target: ClusterTarget; figures: ReturnType<typeof computeFigures> }): string[] {
  const { options, target, figures } = context;
  const notes: string[] = [];
  if (target instanceof HoldfastTarget && target.unproxiedLinks.length > 0) {
    notes.push(`peer links not through the proxies (faults on them had no effect): ${[...new Set(target.unproxiedLinks)].join(', ')}`);
  }
  const rate = options.workload.ratePerSecond;
  const achieved = figures.operations.total / figures.durationS;
  if (rate !== undefined && achieved < 0.9 * rate) {
    notes.push(`target rate ${rate}/s not reached (${achieved.toFixed(1)}/s): raise --concurrency or lower --rate`);
  }
  return notes;
}

/** The raw history, one operation per line, so a verdict can be re-checked or inspected later. */
function writeHistory(options: { operations: readonly BenchOperation[]; outDir: string }): void {
  const file = fs.openSync(path.join(options.outDir, 'history.jsonl'), 'w');
  try {
    for (const operation of options.operations) {
      const returnedAt = Number.isFinite(operation.returnedAt) ? operation.returnedAt : null;
      fs.writeSync(file, `${JSON.stringify({ ...operation, returnedAt })}\n`);
    }
  } finally {
    fs.closeSync(file);
  }
}

async function healEverything(options: { target: ClusterTarget; network: ProxyNetwork; log: (line: string) => void }): Promise<void> {
  const { target, network } = options;
  network.healAll();
  for (const id of target.nodeIds()) {
    try {
      await target.resume(id);
      if (!target.isRunning(id)) await target.restart(id);
    } catch (error) {
      options.log(`heal ${id}: ${String(error)}`);
    }
  }
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if ((await target.findLeader().catch(() => undefined)) !== undefined) return;
    await sleep(250);
  }
  options.log('warning: no leader 30 s after healing');
}

/** Where the watch check's end marker is written: not a key of the workload, so not in the history. */
const WATCH_END_KEY = 'bench/watch-end';

/**
 * Writes an end marker after everything else, waits until the watch told it (so it has told every
 * change before it), and judges what it told against the history.
 */
async function finishWatch(options: { feed: ChangeFeed | undefined; target: ClusterTarget; history: BenchHistory }): Promise<WatchVerdict | undefined> {
  const { feed, target, history } = options;
  if (feed === undefined) return undefined;
  const marker = `end-${process.pid}-${Date.now()}`;
  const client = target.createKv({ clientIndex: 0, deadlineMs: 10_000 });
  let error: unknown;
  try {
    await client.put(WATCH_END_KEY, marker);
    const deadline = Date.now() + 30_000;
    const told = () => feed.changes.some((change) => change.key === WATCH_END_KEY && change.value === marker);
    while (!told() && feed.error === undefined && Date.now() < deadline) await sleep(50);
    error = feed.error ?? (told() ? undefined : 'the watch did not tell the end marker within 30 s of writing it');
  } catch (cause) {
    error = `writing the end marker failed: ${String(cause)}`;
  } finally {
    client.close();
    feed.close();
  }
  return judgeWatch({
    changes: feed.changes,
    operations: history.all(),
    ignoreKeys: new Set([WATCH_END_KEY]),
    ignoreKey: (key) => key.startsWith(COORDINATION_PREFIX) || key.startsWith(`__fence/${COORDINATION_PREFIX}`),
    error,
  });
}

/** Sampled watch events whose prevKv is compared with a read at revision - 1, and the time those reads may take. */
const PREV_KV_READS = 200;
const PREV_KV_READS_BUDGET_MS = 60_000;

/**
 * The watch's prevKv (prevkv-check.ts): each event's against the previous change told for its key,
 * and a sample against reads of the key history at revision - 1. After finishWatch (the feed is
 * closed, every change up to the end marker told).
 */
async function checkPrevKv(options: { feed: ChangeFeed | undefined; target: ClusterTarget; log: (line: string) => void }): Promise<PrevKvVerdict | undefined> {
  const { feed, target } = options;
  if (feed?.withPrevKv !== true || target.createSdkClient === undefined) return undefined;
  const chain = judgePrevKvChain(feed.changes);
  const client = target.createSdkClient({ clientIndex: 0, deadlineMs: 5000 });
  try {
    const sample = sampleChanges(feed.changes, PREV_KV_READS);
    options.log(`checking the prevKv of ${chain.events} watch events, ${sample.length} against reads at revision - 1...`);
    const reads = await judgePrevKvReads({
      sample,
      budgetMs: PREV_KV_READS_BUDGET_MS,
      readAt: async (key, revision) => {
        const kv = await client.get(key, { revision });
        return kv === undefined ? { found: false } : { found: true, value: kv.valueString(), modRevision: kv.modRevision };
      },
    });
    return { ...chain, reads };
  } finally {
    client.close();
  }
}

/**
 * Audits one member (audit.ts) into the history. With --plant-corrupt-read the first value the
 * first audit reads gets a byte changed, as a member serving damaged data would answer.
 */
function memberAuditor(context: {
  options: BenchOptions;
  target: ClusterTarget;
  history: BenchHistory;
  planted: string[];
}): (member: string, occasion: string) => Promise<AuditSummary> {
  const { options, target, history, planted } = context;
  let plantPending = options.plantCorruptRead;
  return (member, occasion) =>
    auditMember({
      target,
      history,
      member,
      occasion,
      deadlineMs: 15_000,
      plantCorruptValue: () => {
        const plant = plantPending;
        plantPending = false;
        return plant;
      },
      onPlanted: (operation) => planted.push(`corrupt read of ${operation.key} through ${member} (op ${operation.id})`),
    });
}

/** What the members hold at the end: the same applied index, no alarm, and every one audited. */
export interface MemberCheck {
  convergence: Convergence;
  audits: Record<string, AuditSummary>;
}

async function checkMembers(context: { target: ClusterTarget; audit: (member: string, occasion: string) => Promise<AuditSummary> }): Promise<MemberCheck | undefined> {
  const { target, audit } = context;
  if (target.memberHealth === undefined || target.memberReader === undefined) return undefined;
  const convergence = await awaitConvergence({ target, timeoutMs: 30_000 });
  const audits: Record<string, AuditSummary> = {};
  for (const id of target.nodeIds()) {
    let summary = await audit(id, 'end of run');
    // A member that just changed leader may refuse one read; one retry after a pause.
    if (!summary.ok) {
      await sleep(1000);
      summary = await audit(id, 'end of run');
    }
    audits[id] = summary;
  }
  return { convergence, audits };
}

function buildVerdict(options: {
  lin: ReturnType<typeof judgeLinearizability>;
  lostWrites: Awaited<ReturnType<typeof readBackAndAccount>>;
  watch: WatchVerdict | undefined;
  prevKv: PrevKvVerdict | undefined;
  windows: NemesisRunner['windows'];
  okCount: number;
  members: MemberCheck | undefined;
  operations: readonly BenchOperation[];
  coordination: CoordinationVerdict | undefined;
  badCredentials: BadCredentialsSummary | undefined;
}): BenchVerdict {
  const { lin, lostWrites } = options;
  const failures: string[] = [];
  const result = lin.result;
  if (result !== undefined) {
    if (result.violations.length > 0) failures.push(`${result.violations.length} key(s) not linearizable`);
    if (result.undecidedKeys.length > 0) failures.push(`${result.undecidedKeys.length} key(s) undecided within the checker budget`);
  }
  if (lostWrites.lostWriteCount > 0) failures.push(`${lostWrites.lostWriteCount} acknowledged write(s) lost`);
  if (lostWrites.duplicates.length > 0) failures.push(`${lostWrites.duplicates.length} key(s) with writes applied twice`);
  if (lostWrites.keysUnreadable.length > 0) failures.push(`${lostWrites.keysUnreadable.length} key(s) unreadable after healing`);
  for (const window of options.windows) {
    if (window.expectation !== undefined && !window.expectation.met) failures.push(`expectation not met: ${window.expectation.description}`);
  }
  failures.push(...watchFailures(options.watch));
  failures.push(...prevKvFailures(options.prevKv));
  const damage = damageVerdict(options.windows, options.members);
  failures.push(...damage.failures);
  failures.push(...(options.coordination?.failures ?? []));
  const staleness = checkBoundedStaleness(options.operations);
  if (staleness.violations.length > 0) failures.push(`${staleness.violations.length} bounded-staleness read(s) beyond their bound`);
  if (options.okCount === 0) failures.push('no operation succeeded');
  if (options.badCredentials !== undefined) failures.push(...badCredentialsFailures(options.badCredentials));
  return {
    passed: failures.length === 0,
    failures,
    linearizability: {
      judged: lin.judged,
      ...(lin.reason === undefined ? {} : { reason: lin.reason }),
      ...(result === undefined
        ? {}
        : {
            linearizable: result.linearizable,
            keysChecked: result.keysChecked,
            operationsChecked: result.operationsChecked,
            undecidedKeys: result.undecidedKeys,
            elapsedMs: result.elapsedMs,
            violations: result.violations.map((v) => ({
              key: v.key,
              rule: v.rule,
              explanation: v.explanation,
              operationIds: v.operations.map((o) => o.id),
              ...auditReadsOf(v.operations.map((o) => o.id), options.operations),
            })),
          }),
    },
    lostWrites,
    ...(options.watch === undefined ? {} : { watch: options.watch }),
    ...(options.prevKv === undefined ? {} : { prevKv: options.prevKv }),
    ...(damage.section === undefined ? {} : { damage: damage.section }),
    ...(options.coordination === undefined ? {} : { coordination: options.coordination }),
    ...(options.badCredentials === undefined ? {} : { badCredentials: options.badCredentials }),
    ...(staleness.readsChecked === 0 && staleness.violations.length === 0 ? {} : { staleness }),
  };
}

/** The lock and lease workloads, when asked for and the target offers SDK clients. */
function startCoordination(context: { options: BenchOptions; target: ClusterTarget; clock: MonotonicClock; prng: Prng }): CoordinationWorkloads | undefined {
  const { options, target, clock, prng } = context;
  if (options.coordination === undefined) return undefined;
  const createSdkClient = target.createSdkClient?.bind(target);
  if (createSdkClient === undefined) throw new Error(`the ${target.kind} target has no lock or lease workload`);
  const random = prng.fork();
  const workloads = new CoordinationWorkloads(options.coordination, { clock, createClient: createSdkClient, random: () => random.next() });
  workloads.start();
  return workloads;
}

/** Which members served the audit reads among a violation's operations (what let the damage through). */
function auditReadsOf(ids: readonly number[], operations: readonly BenchOperation[]): { servedBy?: string[] } {
  const servedBy = [
    ...new Set(
      ids.flatMap((id) => {
        const operation = operations[id];
        return operation?.servedBy === undefined ? [] : [`op ${id} read through ${operation.servedBy}`];
      }),
    ),
  ];
  return servedBy.length === 0 ? {} : { servedBy };
}

/**
 * The corruption nemesis's part of the verdict: each damaged member repaired or stopped judging
 * repair unsafe (a finding), and at the end every member at the same applied index, with no alarm,
 * answering an audit read.
 */
function damageVerdict(windows: NemesisRunner['windows'], members: MemberCheck | undefined): { failures: string[]; section?: DamageVerdict } {
  const reports = windows.flatMap((w) => (w.damage === undefined ? [] : [w.damage]));
  if (reports.length === 0 && members === undefined) return { failures: [] };
  const failures: string[] = [];
  const findings = reports
    .filter((r) => r.outcome === 'stopped-unsafe')
    .map((r) => `${r.member} stopped after ${r.kind} of ${r.file}, judging repair unsafe: ${r.outcomeDetail ?? ''}`);
  if (members !== undefined) {
    if (!members.convergence.converged) failures.push(`members did not converge after the run: ${members.convergence.detail}`);
    for (const [id, audit] of Object.entries(members.audits)) {
      if (!audit.ok) failures.push(`audit of ${id} failed: ${audit.detail}`);
    }
  }
  const count = (outcome: string): number => reports.filter((r) => r.outcome === outcome).length;
  return {
    failures,
    section: {
      damaged: reports.length,
      repaired: count('repaired'),
      stoppedUnsafe: count('stopped-unsafe'),
      stopped: count('stopped'),
      stuck: count('stuck'),
      findings,
      reports,
      ...(members === undefined ? {} : { convergence: members.convergence, audits: members.audits }),
    },
  };
}

function optionsForReport(options: BenchOptions): Record<string, unknown> {
  return {
    target: options.target,
    nodes: options.nodes,
    durationMs: options.durationMs,
    nemeses: options.nemeses,
    workload: options.workload,
    kvWorkload: options.kvWorkload,
    coordination: options.coordination,
    regions: options.regions?.name,
    ...(options.regions === undefined || options.target !== 'holdfast'
      ? {}
      : {
          regionTiming: {
            ...REGION_TIMING,
            electionSpreadTicks: options.electionSpreadTicks ?? REGION_TIMING.electionSpreadTicks,
            electionRankSlotTicks: options.electionRankSlotTicks ?? REGION_TIMING.electionRankSlotTicks,
          },
        }),
    faultMs: options.faultMs,
    quietMs: options.quietMs,
    warmupMs: options.warmupMs,
    cooldownMs: options.cooldownMs,
    plantStaleRead: options.plantStaleRead,
    plantCorruptRead: options.plantCorruptRead,
    badCredentials: options.badCredentials === true,
    fixedKeys: options.fixedKeys,
    repairTimeoutMs: options.repairTimeoutMs,
  };
}

/** The bad-credentials prober of a holdfast target run with security on; undefined otherwise. */
function proberFor(target: ClusterTarget): BadCredentialsProber | undefined {
  if (!(target instanceof HoldfastTarget) || target.security === undefined) return undefined;
  const security = target.security;
  return new BadCredentialsProber({ security, clusterId: target.clusterId, members: () => target.probedMembers(), intervalMs: 1000 });
}

/** Probes refused / sent, and what went through. */
export function badCredentialsLine(summary: BadCredentialsSummary): string {
  const totals = Object.values(summary.probes).reduce(
    (sum, counts) => ({ attempts: sum.attempts + counts.attempts, refused: sum.refused + counts.refused, unanswered: sum.unanswered + counts.unanswered }),
    { attempts: 0, refused: 0, unanswered: 0 },
  );
  return `${totals.refused} of ${totals.attempts} probes refused (${totals.unanswered} unanswered: member down or paused), ${summary.accepted.length} accepted, ${Object.keys(summary.probes).length} kinds, ${summary.rounds} rounds`;
}
