#!/usr/bin/env node
import { READ_ROUNDS_IN_FLIGHT_MAX_DEFAULT } from '@holdfast/raft';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { RestDamage } from './real/sim-disk.js';
import { ALL_STORAGE_FAULTS, HANDLED_STORAGE_FAULTS, type RealDefects, type StorageFaultOptions } from './real/simulation.js';
import { formatFailure, type RunSummary, runRealSeeds, runSeedsUntilStopped } from './runner.js';
import type { SimDefects } from './simulation.js';

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return parsed;
}

function positiveInteger(value: string): number {
  const parsed = nonNegativeInteger(value);
  if (parsed === 0) throw new InvalidArgumentError('expected a positive integer');
  return parsed;
}

function spreadPercent(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 100) throw new InvalidArgumentError('expected an integer percentage from 1 to 100');
  return parsed;
}

function rankSlotTicks(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 7) throw new InvalidArgumentError('expected an integer from 0 to 7 (below the smallest electionTicks a seed draws, 8)');
  return parsed;
}

const coreDefectsByFlag: Record<string, SimDefects> = {
  'forgets-vote': { forgetsVote: true },
  'ack-before-sync': { ackBeforeSync: true },
  'local-reads': { localReads: true },
};

const realDefectsByFlag: Record<string, RealDefects> = {
  'ack-before-sync': { ackBeforeSync: true },
  'reads-without-read-index': { readsWithoutReadIndex: true },
  'ignore-hash-mismatch': { ignoreHashMismatch: true },
  'trust-lost-log-tail': { trustLostLogTail: true },
  'keepalives-answered-locally': { keepAlivesAnsweredLocally: true },
  'skip-checksum': { skipRecordChecksum: true },
  'clock-drift-beyond-bound': { clockDriftBeyondBound: true },
};

const restDamages: readonly RestDamage[] = ['bitFlip', 'lost', 'swapped'];

/**
 * `handled` (default: the kinds the node handles today), `all`, `none`, or a comma-separated
 * list of fsync-errors, disk-full, torn-log-write, log-bitFlip, log-lost, log-swapped,
 * state-bitFlip, state-lost, state-swapped.
 */
function parseStorageFaults(value: string): StorageFaultOptions {
  if (value === 'handled') return HANDLED_STORAGE_FAULTS;
  if (value === 'all') return ALL_STORAGE_FAULTS;
  if (value === 'none') return {};
  const logAtRest: RestDamage[] = [];
  const stateAtRest: RestDamage[] = [];
  let fsyncErrors = false;
  let diskFull = false;
  let tornLogWrite = false;
  for (const name of value.split(',')) {
    const [where, damage] = name.split('-') as [string, RestDamage];
    if (name === 'fsync-errors') fsyncErrors = true;
    else if (name === 'disk-full') diskFull = true;
    else if (name === 'torn-log-write') tornLogWrite = true;
    else if (where === 'log' && restDamages.includes(damage)) logAtRest.push(damage);
    else if (where === 'state' && restDamages.includes(damage)) stateAtRest.push(damage);
    else throw new InvalidArgumentError(`unknown storage fault ${name}`);
  }
  return { fsyncErrors, diskFull, tornLogWrite, logAtRest, stateAtRest };
}

const program = new Command()
  .name('holdfast-sim')
  .description('Deterministic simulation of the real node (NodeDriver, LevelDB log and state on memory-level) under network, node and storage faults')
  .option('--seeds <n>', 'number of seeds to run', nonNegativeInteger)
  .option('--seed <s>', 'first seed (alone: replay just this seed)', nonNegativeInteger, 1)
  .addOption(new Option('--nodes <n>', 'cluster size').choices(['3', '5']).default('3'))
  .option('--steps <m>', 'ticks of faults per seed (default 400; 1000 with --core)', nonNegativeInteger)
  .option('--storage-faults <kinds>', 'handled | all | none | a comma list (see the README)', 'handled')
  .option('--core', 'run the core-only simulator (RaftNode with a small driver and a toy store)')
  .option('--no-linearizability', 'skip the linearizability check of the client history')
  .addOption(new Option('--read-mode <mode>', 'real node: how leaders serve linearizable reads; lease adds clock-rate drift within --clock-drift-percent').choices(['read-index', 'lease']).default('read-index'))
  .option('--clock-drift-percent <p>', 'with --read-mode lease: the drift bound the lease assumes and the clocks keep to', nonNegativeInteger, 5)
  .option('--no-forward-wait', 'real node: members answer no-leader at once instead of holding a request to forward until a leader is elected (how seeds recorded before the hold replay)')
  .option(
    '--election-spread-percent <p>',
    "real node: members draw their election timeout from [electionTicks, electionTicks + spread), spread this percentage of the seed's electionTicks (1-100; unset: electionTicks, as etcd, and seeds replay as before)",
    spreadPercent,
  )
  .option(
    '--election-rank-slot-ticks <n>',
    'real node: ranked election slots of every member in ticks (0-7; unset or 0: off, and seeds replay as before): after a leader falls silent its successors in id order stand one slot apart',
    rankSlotTicks,
  )
  .option(
    '--read-rounds-in-flight-max <n>',
    "real node: ReadIndex rounds a leader keeps in flight (default 4, the node's; 1: one at a time, how seeds recorded before replay)",
    positiveInteger,
    READ_ROUNDS_IN_FLIGHT_MAX_DEFAULT,
  )
  .option('--liveness-ticks <n>', 'core-only: ticks a healed cluster has to commit again', nonNegativeInteger)
  .addOption(new Option('--defect <name>', 'self-test only: break safety on purpose').hideHelp())
  .option('--quiet', 'print only failures and the summary')
  .parse();

const options = program.opts<{
  seeds?: number;
  seed: number;
  nodes: string;
  steps?: number;
  storageFaults: string;
  core?: boolean;
  linearizability: boolean;
  livenessTicks?: number;
  defect?: string;
  quiet?: boolean;
  readMode: string;
  clockDriftPercent: number;
  forwardWait: boolean;
  electionSpreadPercent?: number;
  electionRankSlotTicks?: number;
  readRoundsInFlightMax: number;
}>();

const seedCount = options.seeds ?? 1;
const nodeCount = Number(options.nodes);
const steps = options.steps ?? (options.core ? 1000 : 400);
let lastProgressAt = performance.now();
let done = 0;
let violations = 0;
let stopRequested = false;
// A long run stopped by a signal still reports the seeds it finished.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopRequested = true;
  });
}

function onResult(result: Parameters<typeof formatFailure>[0] & { digest: string }, flags: string): void {
  done++;
  if (result.violation !== undefined) {
    violations++;
    console.log(formatFailure(result, flags));
  }
  if (seedCount === 1 && !options.quiet) console.log(`seed ${result.seed}: event digest ${result.digest}`);
  const now = performance.now();
  if (now - lastProgressAt > (options.quiet ? 60_000 : 5_000)) {
    lastProgressAt = now;
    console.log(`  ${done}/${seedCount} seeds, ${violations} violations`);
  }
}

async function runCore(): Promise<RunSummary<unknown>> {
  const defects = options.defect === undefined ? undefined : coreDefectsByFlag[options.defect];
  if (options.defect !== undefined && defects === undefined) throw new InvalidArgumentError(`unknown core defect ${options.defect}`);
  const flags =
    ' --core' +
    (options.defect === undefined ? '' : ` --defect ${options.defect}`) +
    (options.livenessTicks === undefined ? '' : ` --liveness-ticks ${options.livenessTicks}`);
  console.log(`holdfast sim (core only): seeds ${options.seed}..${options.seed + seedCount - 1}, ${nodeCount} nodes, ${steps} steps${flags}`);
  return runSeedsUntilStopped(
    {
      firstSeed: options.seed,
      seedCount,
      nodeCount,
      steps,
      ...(defects === undefined ? {} : { defects }),
      checkLinearizability: options.linearizability,
      ...(options.livenessTicks === undefined ? {} : { livenessTicksMax: options.livenessTicks }),
      onResult: (result) => onResult(result, flags),
    },
    () => stopRequested,
  );
}

async function runReal(): Promise<RunSummary<unknown>> {
  const defects = options.defect === undefined ? undefined : realDefectsByFlag[options.defect];
  if (options.defect !== undefined && defects === undefined) throw new InvalidArgumentError(`unknown defect ${options.defect}`);
  const storageFaults = parseStorageFaults(options.storageFaults);
  const lease = options.readMode === 'lease';
  const flags =
    ` --storage-faults ${options.storageFaults}` +
    (lease ? ` --read-mode lease --clock-drift-percent ${options.clockDriftPercent}` : '') +
    (options.forwardWait ? '' : ' --no-forward-wait') +
    (options.electionSpreadPercent === undefined ? '' : ` --election-spread-percent ${options.electionSpreadPercent}`) +
    (options.electionRankSlotTicks === undefined ? '' : ` --election-rank-slot-ticks ${options.electionRankSlotTicks}`) +
    (options.readRoundsInFlightMax === READ_ROUNDS_IN_FLIGHT_MAX_DEFAULT ? '' : ` --read-rounds-in-flight-max ${options.readRoundsInFlightMax}`) +
    (options.defect === undefined ? '' : ` --defect ${options.defect}`);
  console.log(`holdfast sim (real node): seeds ${options.seed}..${options.seed + seedCount - 1}, ${nodeCount} members, ${steps} steps${flags}`);
  return runRealSeeds(
    {
      firstSeed: options.seed,
      seedCount,
      nodeCount,
      steps,
      storageFaults,
      ...(defects === undefined ? {} : { defects }),
      checkLinearizability: options.linearizability,
      ...(lease ? { leaseReads: { clockDriftMax: options.clockDriftPercent / 100 } } : {}),
      forwardsWaitForLeader: options.forwardWait,
      ...(options.electionSpreadPercent === undefined ? {} : { electionSpreadPercent: options.electionSpreadPercent }),
      ...(options.electionRankSlotTicks === undefined ? {} : { electionRankSlotTicks: options.electionRankSlotTicks }),
      readRoundsInFlightMax: options.readRoundsInFlightMax,
      onResult: (result) => onResult(result, flags),
    },
    () => stopRequested,
  );
}

const summary = options.core ? await runCore() : await runReal();
if (stopRequested) console.log(`stopped by a signal after ${summary.seedsRun} of ${seedCount} seeds`);

const seconds = summary.elapsedMs / 1000;
console.log(
  `ran ${summary.seedsRun} seeds in ${seconds.toFixed(1)} s: ${summary.seedsPerSecond.toFixed(2)} seeds/s ` +
    `(${(summary.cpuMs / 1000).toFixed(1)} s of processor time, ${summary.seedsPerCpuSecond.toFixed(2)} seeds per processor second); ` +
    `violations: ${summary.failures.length}`,
);
console.log(
  `totals: ${Object.entries(summary.totals)
    .map(([name, value]) => `${name} ${value}`)
    .join(', ')}`,
);
if (summary.failures.length > 0) {
  console.log(`failing seeds: ${summary.failures.map((failure) => (failure as { seed: number }).seed).join(' ')}`);
  process.exitCode = 1;
}
