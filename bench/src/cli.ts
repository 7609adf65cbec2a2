import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ETCD_INSTALL_HINT, etcdInstalled } from './etcd.js';
import { type BenchReport, leaderReturnLines, recoveryByKind, renderRegionTable } from './report.js';
import { loadRegions } from './regions.js';
import { type BenchOptions, runBench } from './run.js';
import { isCorruptionKind, NEMESIS_GROUPS, NEMESIS_KINDS, parseBackgroundNemeses, parseNemesisList, ScheduleError } from './schedule.js';
import { FIXED_VALUE_BYTES } from './audit.js';
import { REGION_TIMING } from './holdfast.js';

/** Fixed data set with a corruption nemesis: about 2 MiB, so every member's state has tables of it. */
const FIXED_KEYS_WITH_CORRUPTION = 2000;
import type { CoordinationKind } from './coordination.js';
import type { TargetKind } from './target.js';
import { DEFAULT_WORKLOAD, type KeyDistribution, type WorkloadKind, type WorkloadOptions, validateWorkload } from './workload.js';

/** "10m", "90s", "1500ms", "2h" or a bare number of seconds, in milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (match === null) throw new InvalidArgumentError(`not a duration: ${JSON.stringify(text)} (e.g. 90s, 10m, 1500ms)`);
  const value = Number.parseFloat(match[1] as string);
  const unit = match[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(value * factor);
}

function parseRange(text: string): { min: number; max: number } {
  const [low, high] = text.split('-');
  const min = parseDuration(low ?? '');
  const max = high === undefined ? min : parseDuration(high);
  if (max < min) throw new InvalidArgumentError(`range ${text}: max < min`);
  return { min, max };
}

function parsePositiveInt(text: string): number {
  const value = Number.parseInt(text, 10);
  if (!Number.isInteger(value) || value <= 0 || String(value) !== text.trim()) {
    throw new InvalidArgumentError(`not a positive integer: ${text}`);
  }
  return value;
}

function parseNonNegativeInt(text: string): number {
  const value = Number.parseInt(text, 10);
  if (!Number.isInteger(value) || value < 0 || String(value) !== text.trim()) {
    throw new InvalidArgumentError(`not a non-negative integer: ${text}`);
  }
  return value;
}

function parsePositive(text: string): number {
  const value = Number.parseFloat(text);
  if (!(value > 0)) throw new InvalidArgumentError(`not a positive number: ${text}`);
  return value;
}

interface CliOptions {
  nodes: string;
  duration: number;
  nemesis: string;
  workload: string;
  concurrency: number;
  lockTtl: number;
  leaseTtl: { min: number; max: number };
  clockStep: number;
  rate?: number;
  seed?: string;
  target: TargetKind;
  compare?: string;
  out?: string;
  regions?: string;
  readMode?: string;
  electionSpreadTicks?: number;
  electionRankSlotTicks?: number;
  keys: number;
  valueSize: number;
  distribution: KeyDistribution;
  readFraction: number;
  serializableFraction?: number;
  boundedFraction?: number;
  maxStaleness: number;
  opTimeout: number;
  faultDuration: { min: number; max: number };
  quiet: { min: number; max: number };
  warmup: number;
  cooldown: number;
  checkBudget: number;
  plantStaleRead: boolean;
  plantCorruptRead: boolean;
  fixedKeys?: number;
  repairTimeout: number;
  progress: boolean;
  keepData: boolean;
}

function buildCommand(): Command {
  return new Command('bench')
    .description('Fault-injection bench: a real cluster behind controllable proxies, a workload, nemeses, a verdict')
    .addOption(new Option('--nodes <n>', 'cluster size').choices(['3', '5']).default('3'))
    .addOption(new Option('--duration <d>', 'workload duration (90s, 10m)').argParser(parseDuration).default(60_000, '60s'))
    .option(
      '--nemesis <list>',
      `faults, comma-separated: groups (${Object.keys(NEMESIS_GROUPS).join(', ')}, none) or kinds (${NEMESIS_KINDS.join(', ')}); bad-credentials runs the whole time (TLS and auth on)`,
      'kill,pause,partition',
    )
    .option('--workload <list>', 'comma-separated: register (checked per key) or mixed, and lock (fenced register), lease (expiry timing), watch (prefix watches from past revisions with prevKv, checked against the watch over every key); holdfast only for lock, lease and watch', 'register')
    .addOption(new Option('--lock-ttl <d>', "lock: TTL of each holder's lease").argParser(parseDuration).default(2000, '2s'))
    .addOption(new Option('--lease-ttl <range>', 'lease: TTLs granted').argParser(parseRange).default({ min: 1000, max: 4000 }, '1s-4s'))
    .addOption(new Option('--clock-step <d>', 'lease: how far the leader\'s clock may step from the clients\' (one host: 0)').argParser(parseDuration).default(0, '0'))
    .option('--concurrency <n>', 'concurrent clients', parsePositiveInt, DEFAULT_WORKLOAD.concurrency)
    .option('--rate <r>', 'target operations per second (default: closed loop)', parsePositive)
    .option('--seed <s>', 'seed of the fault schedule and every random choice (default: time-based)')
    .addOption(new Option('--target <t>', 'store under test').choices(['holdfast', 'etcd']).default('holdfast'))
    .addOption(new Option('--compare <t>', 'also run the same plan against this target and compare').choices(['etcd']))
    .option('--out <dir>', 'report folder (default bench-out/<timestamp>)')
    .option('--regions <preset|file>', 'emulate regions: three-regions, two-regions, or a JSON file')
    .option(
      '--read-mode <mode>',
      'holdfast: how leaders serve linearizable reads (every member): read-index or lease; "lease,read-index" runs the same plan once in each mode and compares the reads per client region',
    )
    .option(
      '--election-spread-ticks <n>',
      'holdfast with --regions: width of the election timeout\'s randomized range in ticks of 20 ms (1-75; default 75: [1.5 s, 3 s))',
      parsePositiveInt,
    )
    .option(
      '--election-rank-slot-ticks <n>',
      'holdfast with --regions: ranked election slots in ticks of 20 ms, 0 = off (0-74; default 8: the successors of a dead leader stand 160 ms apart)',
      parseNonNegativeInt,
    )
    .option('--keys <n>', 'mixed: key space size', parsePositiveInt, DEFAULT_WORKLOAD.mixedKeyCount)
    .option('--value-size <bytes>', 'mixed: value size', parsePositiveInt, DEFAULT_WORKLOAD.valueBytes)
    .addOption(new Option('--distribution <d>', 'mixed: key choice').choices(['uniform', 'zipfian']).default('uniform'))
    .option('--read-fraction <f>', 'mixed: fraction of reads', Number.parseFloat, DEFAULT_WORKLOAD.readFraction)
    .option(
      '--serializable-fraction <f>',
      'fraction of reads sent serializable (nearest member; timed, not checked); default 0.25 with --regions, else 0',
      Number.parseFloat,
    )
    .option(
      '--bounded-fraction <f>',
      'fraction of reads sent with a staleness bound (nearest member; checked against the bound); default 0.25 with --regions, else 0',
      Number.parseFloat,
    )
    .addOption(new Option('--max-staleness <d>', 'the bound of those reads').argParser(parseDuration).default(DEFAULT_WORKLOAD.maxStalenessMs, '5s'))
    .addOption(
      new Option('--op-timeout <d>', 'per-operation deadline (a write past it is unknown)')
        .argParser(parseDuration)
        .default(DEFAULT_WORKLOAD.operationDeadlineMs, '2s'),
    )
    .addOption(new Option('--fault-duration <range>', 'how long each fault lasts').argParser(parseRange).default({ min: 3000, max: 8000 }, '3s-8s'))
    .addOption(new Option('--quiet <range>', 'pause between faults').argParser(parseRange).default({ min: 4000, max: 8000 }, '4s-8s'))
    .addOption(new Option('--warmup <d>', 'no faults before this').argParser(parseDuration).default(3000, '3s'))
    .addOption(new Option('--cooldown <d>', 'no faults in the last part of the run').argParser(parseDuration).default(3000, '3s'))
    .addOption(new Option('--check-budget <d>', 'checker time budget per key').argParser(parseDuration).default(10_000, '10s'))
    .addOption(new Option('--plant-stale-read', 'test only: insert a stale read; the verdict must fail').hideHelp().default(false))
    .addOption(
      new Option('--plant-corrupt-read', 'test only: a member audit reads one value with a byte changed; the verdict must fail')
        .hideHelp()
        .default(false),
    )
    .option('--fixed-keys <n>', `keys of ${FIXED_VALUE_BYTES} B written before the workload (default ${FIXED_KEYS_WITH_CORRUPTION} with a corruption nemesis, else 0)`, parseNonNegativeInt)
    .addOption(
      new Option('--repair-timeout <d>', 'corruption: longest wait for a damaged member to be repaired or stop')
        .argParser(parseDuration)
        .default(60_000, '60s'),
    )
    .option('--no-progress', 'no progress bar or lines')
    .option('--keep-data', 'keep the cluster data folder', false);
}

const SERIALIZABLE_FRACTION_WITH_REGIONS = 0.25;
const BOUNDED_FRACTION_WITH_REGIONS = 0.25;

const WORKLOAD_NAMES = ['register', 'mixed', 'lock', 'lease', 'watch'] as const;

/** `--workload register,lock,lease`: at most one key-value workload, and the coordination workloads. */
export function parseWorkloadList(text: string): { kv: WorkloadKind | undefined; coordination: CoordinationKind[] } {
  const names = [...new Set(text.split(',').map((name) => name.trim()).filter((name) => name !== ''))];
  for (const name of names) {
    if (!(WORKLOAD_NAMES as readonly string[]).includes(name)) throw new RangeError(`workload: unknown '${name}' (${WORKLOAD_NAMES.join(', ')})`);
  }
  const kvs = names.filter((name): name is WorkloadKind => name === 'register' || name === 'mixed');
  if (kvs.length > 1) throw new RangeError('workload: register and mixed do not run together');
  const coordination = names.filter((name): name is CoordinationKind => name === 'lock' || name === 'lease' || name === 'watch');
  if (kvs.length === 0 && coordination.length === 0) throw new RangeError('workload: name at least one');
  return { kv: kvs[0], coordination };
}

function toBenchOptions(cli: CliOptions, target: TargetKind, outDir: string, log: (line: string) => void): BenchOptions {
  const regions = cli.regions === undefined ? undefined : { name: cli.regions, layout: loadRegions(cli.regions) };
  const workloads = parseWorkloadList(cli.workload);
  if (workloads.coordination.length > 0 && target !== 'holdfast') throw new RangeError(`workload: ${workloads.coordination.join(', ')} run against holdfast only`);
  const workload: WorkloadOptions = {
    ...DEFAULT_WORKLOAD,
    kind: workloads.kv ?? 'register',
    concurrency: cli.concurrency,
    ratePerSecond: cli.rate,
    operationDeadlineMs: cli.opTimeout,
    mixedKeyCount: cli.keys,
    keyDistribution: cli.distribution,
    valueBytes: cli.valueSize,
    readFraction: cli.readFraction,
    // Across regions half the reads may go to the nearest member (a quarter serializable, a quarter
    // with a staleness bound), so the table shows every kind.
    serializableReadFraction: cli.serializableFraction ?? (regions === undefined ? 0 : SERIALIZABLE_FRACTION_WITH_REGIONS),
    boundedReadFraction: cli.boundedFraction ?? (regions === undefined ? 0 : BOUNDED_FRACTION_WITH_REGIONS),
    maxStalenessMs: cli.maxStaleness,
  };
  validateWorkload(workload);
  const nemeses = parseNemesisList(cli.nemesis);
  const badCredentials = parseBackgroundNemeses(cli.nemesis).includes('bad-credentials');
  if (badCredentials && target !== 'holdfast') throw new ScheduleError('bad-credentials probes holdfast only (its TLS and auth)');
  return {
    badCredentials,
    target,
    nodes: Number.parseInt(cli.nodes, 10),
    durationMs: cli.duration,
    nemeses,
    workload,
    kvWorkload: workloads.kv !== undefined,
    ...(workloads.coordination.length === 0
      ? {}
      : {
          coordination: {
            kinds: workloads.coordination,
            workers: Math.max(2, Math.min(cli.concurrency, 4)),
            lockTtlMs: cli.lockTtl,
            leaseTtlMs: cli.leaseTtl,
            clockStepMs: cli.clockStep,
            expiryWaitMs: 60_000,
          },
        }),
    seed: cli.seed ?? String(Date.now()),
    outDir,
    ...(regions === undefined ? {} : { regions }),
    ...(cli.readMode === undefined ? {} : { readMode: parseReadModes(cli.readMode)[0] }),
    ...electionSpreadOption(cli, regions !== undefined),
    ...electionRankSlotOption(cli, regions !== undefined),
    warmupMs: cli.warmup,
    cooldownMs: cli.cooldown,
    faultMs: cli.faultDuration,
    quietMs: cli.quiet,
    checkBudgetMsPerKey: cli.checkBudget,
    operationsMax: 5_000_000,
    plantStaleRead: cli.plantStaleRead,
    plantCorruptRead: cli.plantCorruptRead,
    fixedKeys: cli.fixedKeys ?? (nemeses.some(isCorruptionKind) ? FIXED_KEYS_WITH_CORRUPTION : 0),
    repairTimeoutMs: cli.repairTimeout,
    progress: cli.progress ? 'auto' : 'none',
    keepData: cli.keepData,
    log,
  };
}

type ReadMode = 'read-index' | 'lease';

/** `--election-spread-ticks`: only across regions, within the region timing's election ticks. */
function electionSpreadOption(cli: CliOptions, withRegions: boolean): { electionSpreadTicks?: number } {
  const spread = cli.electionSpreadTicks;
  if (spread === undefined) return {};
  if (!withRegions) throw new RangeError('--election-spread-ticks: only with --regions (other runs keep the node defaults)');
  if (spread > REGION_TIMING.electionTicks) {
    throw new RangeError(`--election-spread-ticks: ${spread} is above the region timing's election ticks (${REGION_TIMING.electionTicks})`);
  }
  return { electionSpreadTicks: spread };
}

/** `--election-rank-slot-ticks`: only across regions, below the region timing's election ticks. */
function electionRankSlotOption(cli: CliOptions, withRegions: boolean): { electionRankSlotTicks?: number } {
  const slot = cli.electionRankSlotTicks;
  if (slot === undefined) return {};
  if (!withRegions) throw new RangeError('--election-rank-slot-ticks: only with --regions (other runs keep the node defaults)');
  if (slot >= REGION_TIMING.electionTicks) {
    throw new RangeError(`--election-rank-slot-ticks: ${slot} is not below the region timing's election ticks (${REGION_TIMING.electionTicks})`);
  }
  return { electionRankSlotTicks: slot };
}

/** `--read-mode`: one mode, or several (comma-separated, each once) to run and compare. */
export function parseReadModes(text: string): ReadMode[] {
  const modes = text.split(',').map((m) => m.trim());
  for (const mode of modes) {
    if (mode !== 'read-index' && mode !== 'lease') throw new RangeError(`--read-mode: ${JSON.stringify(mode)} is neither read-index nor lease`);
  }
  if (new Set(modes).size !== modes.length) throw new RangeError('--read-mode: a mode is named twice');
  return modes as ReadMode[];
}

/**
 * Linearizable reads of each client region under each read mode (one report per mode, the same
 * plan), with puts for scale and where the leader stood: the lease-read target in one table.
 */
export function renderReadModeComparison(reports: readonly { mode: ReadMode; report: BenchReport }[], uptime: readonly string[]): string {
  const lines = ['| client region | operation | ' + reports.map((r) => `${r.mode}: p50 / p99 ms (ok)`).join(' | ') + ' |'];
  lines.push(`|---|---|${reports.map(() => '---').join('|')}|`);
  const regions = [...new Set(reports.flatMap((r) => (r.report.figures.byClientRegion ?? []).map((row) => row.region)))];
  for (const region of regions) {
    for (const kind of ['put', 'get linearizable', 'get bounded']) {
      const cells = reports.map(({ mode, report }) => {
        const wanted = kind === 'get linearizable' ? `get ${mode}` : kind;
        const row = (report.figures.byClientRegion ?? []).find((r) => r.region === region && (r.kind === wanted || (kind === 'get bounded' && r.kind.startsWith('get bounded'))));
        return row === undefined ? '-' : `${fmt(row.p50Ms, 2)} / ${fmt(row.p99Ms, 2)} (${row.ok})`;
      });
      lines.push(`| ${region} | ${kind} | ${cells.join(' | ')} |`);
    }
  }
  lines.push('', ...reports.map(({ mode, report }, i) => `${mode}: leader ${leaderShare(report)}; verdict ${report.verdict.passed ? 'PASS' : 'FAIL'}; load ${uptime[i] ?? '-'}`));
  return lines.join('\n');
}

/** How the run's leader samples spread over the members ("n1 93%, n4 7%"). */
function leaderShare(report: BenchReport): string {
  const samples = report.figures.leaderTimeline;
  if (samples.length === 0) return 'not sampled';
  const counts = new Map<string, number>();
  for (const sample of samples) counts.set(sample.leader, (counts.get(sample.leader) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1]).map(([leader, n]) => `${leader} ${Math.round((100 * n) / samples.length)}%`).join(', ');
}

const fmt = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined ? '-' : value.toFixed(digits);

export function renderComparison(reports: readonly BenchReport[]): string {
  const header = ['metric', ...reports.map((r) => r.target)];
  const rows: string[][] = [
    ['throughput ok/s', ...reports.map((r) => fmt(r.figures.throughputOkPerS))],
    ['latency p50 ms', ...reports.map((r) => fmt(r.figures.latency.p50Ms, 2))],
    ['latency p99 ms', ...reports.map((r) => fmt(r.figures.latency.p99Ms, 2))],
    ['operations ok/failed/unknown', ...reports.map((r) => `${r.figures.operations.ok}/${r.figures.operations.failed}/${r.figures.operations.unknown}`)],
    ['violations', ...reports.map((r) => String(r.verdict.linearizability.violations?.length ?? '-'))],
    ['lost writes', ...reports.map((r) => String(r.verdict.lostWrites.lostWriteCount))],
    ['leader changes', ...reports.map((r) => String(r.figures.leaderChanges))],
    ['verdict', ...reports.map((r) => (r.verdict.passed ? 'PASS' : 'FAIL'))],
  ];
  const kinds = [...new Set(reports.flatMap((r) => recoveryByKind(r.figures).map((k) => k.kind)))].sort();
  for (const kind of kinds) {
    rows.push([
      `unavailable after ${kind} (p50/p99 ms)`,
      ...reports.map((r) => {
        const k = recoveryByKind(r.figures).find((x) => x.kind === kind);
        return k === undefined ? '-' : `${fmt(k.unavailableP50Ms, 0)}/${fmt(k.unavailableP99Ms, 0)}`;
      }),
    ]);
  }
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
  return lines.join('\n');
}

/** The bench command line; resolves with the process exit status (0 = verdict passed). */
export async function runBenchCli(argv: readonly string[], log: (line: string) => void = console.log): Promise<number> {
  const command = buildCommand().exitOverride();
  try {
    command.parse([...argv], { from: 'user' });
  } catch (error) {
    const code = (error as { exitCode?: number }).exitCode;
    return code ?? 2;
  }
  const cli = command.opts<CliOptions>();
  const targets: TargetKind[] = cli.compare === undefined ? [cli.target] : ['holdfast', 'etcd'];
  if (targets.includes('etcd') && !etcdInstalled()) {
    log(ETCD_INSTALL_HINT);
    return 2;
  }
  let optionsFor: (target: TargetKind, outDir: string) => BenchOptions;
  try {
    // Validate everything (nemeses, regions, workload) before starting any cluster.
    const seedFixed = cli.seed ?? String(Date.now());
    toBenchOptions({ ...cli, seed: seedFixed }, cli.target, '.', log);
    optionsFor = (target, outDir) => toBenchOptions({ ...cli, seed: seedFixed }, target, outDir, log);
    cli.seed = seedFixed;
  } catch (error) {
    log(`bench: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  const outRoot = cli.out ?? path.join('bench-out', new Date().toISOString().replaceAll(':', '-').replace(/\.\d+Z$/, 'Z'));
  const seed = cli.seed;
  const readModes = cli.readMode === undefined ? [] : parseReadModes(cli.readMode);
  if (readModes.length > 1) return compareReadModes({ cli, readModes, outRoot, log });
  const reports: BenchReport[] = [];
  for (const target of targets) {
    const outDir = targets.length === 1 ? outRoot : path.join(outRoot, target);
    const options = optionsFor(target, outDir);
    const { report } = await runBench(options);
    reports.push(report);
    log(`${target}: ${report.verdict.passed ? 'PASS' : 'FAIL'}${report.verdict.failures.length > 0 ? ` (${report.verdict.failures.join('; ')})` : ''}`);
    log(`  ${report.figures.operations.total} ops, ${report.figures.throughputOkPerS.toFixed(1)} ok/s, p50 ${report.figures.latency.p50Ms.toFixed(2)} ms, p99 ${report.figures.latency.p99Ms.toFixed(2)} ms, lost writes ${report.verdict.lostWrites.lostWriteCount}`);
    if (report.figures.byClientRegion !== undefined) for (const line of renderRegionTable(report.figures.byClientRegion)) log(`  ${line}`);
    for (const line of leaderReturnLines(report.figures)) log(`  ${line}`);
    log(`  report: ${path.join(outDir, 'report.html')}`);
  }
  if (reports.length > 1) {
    const table = renderComparison(reports);
    fs.writeFileSync(path.join(outRoot, 'compare.md'), `# holdfast vs etcd (seed ${seed})\n\n${table}\n`);
    log(table);
  }
  return reports.every((r) => r.verdict.passed) ? 0 : 1;
}

/** `--read-mode lease,read-index`: the same plan (seed, faults, workload) once per mode, then the reads side by side. */
async function compareReadModes(options: { cli: CliOptions; readModes: ReadMode[]; outRoot: string; log: (line: string) => void }): Promise<number> {
  const { cli, readModes, outRoot, log } = options;
  if (cli.compare !== undefined || cli.target !== 'holdfast') {
    log('bench: several read modes compare holdfast with itself; leave out --compare and --target');
    return 2;
  }
  const runs: { mode: ReadMode; report: BenchReport }[] = [];
  const loads: string[] = [];
  for (const mode of readModes) {
    const outDir = path.join(outRoot, mode);
    const before = loadAverage();
    const { report } = await runBench(toBenchOptions({ ...cli, readMode: mode }, 'holdfast', outDir, log));
    loads.push(`${before} to ${loadAverage()}`);
    runs.push({ mode, report });
    log(`${mode}: ${report.verdict.passed ? 'PASS' : 'FAIL'}${report.verdict.failures.length > 0 ? ` (${report.verdict.failures.join('; ')})` : ''}`);
    if (report.figures.byClientRegion !== undefined) for (const line of renderRegionTable(report.figures.byClientRegion)) log(`  ${line}`);
    log(`  report: ${path.join(outDir, 'report.html')}`);
  }
  const table = renderReadModeComparison(runs, loads);
  fs.mkdirSync(outRoot, { recursive: true });
  fs.writeFileSync(path.join(outRoot, 'read-modes.md'), `# linearizable reads by read mode (seed ${cli.seed})\n\n${table}\n`);
  log(table);
  return runs.every((r) => r.report.verdict.passed) ? 0 : 1;
}

/** The 1-minute load average, for the figures beside it. */
function loadAverage(): string {
  return os.loadavg()[0]?.toFixed(2) ?? '-';
}
