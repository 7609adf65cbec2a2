#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { formatFailure, runSeedsUntilStopped } from './runner.js';
import type { SimDefects } from './simulation.js';

function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return parsed;
}

const defectsByFlag: Record<string, SimDefects> = {
  'forgets-vote': { forgetsVote: true },
  'ack-before-sync': { ackBeforeSync: true },
  'local-reads': { localReads: true },
};

const program = new Command()
  .name('holdfast-sim')
  .description('Deterministic simulation of the Raft core under network, disk and node faults')
  .option('--seeds <n>', 'number of seeds to run', nonNegativeInteger)
  .option('--seed <s>', 'first seed (alone: replay just this seed)', nonNegativeInteger, 1)
  .addOption(new Option('--nodes <n>', 'cluster size').choices(['3', '5']).default('3'))
  .option('--steps <m>', 'ticks of faults per seed', nonNegativeInteger, 1000)
  .option('--no-linearizability', 'skip the linearizability check of the client history')
  .option('--liveness-ticks <n>', 'ticks a healed cluster has to commit again (default 400; 2000 without pre-vote)', nonNegativeInteger)
  .addOption(
    new Option('--defect <name>', 'self-test only: break safety on purpose').choices(Object.keys(defectsByFlag)).hideHelp(),
  )
  .option('--quiet', 'print only failures and the summary')
  .parse();

const options = program.opts<{
  seeds?: number;
  seed: number;
  nodes: string;
  steps: number;
  linearizability: boolean;
  livenessTicks?: number;
  defect?: string;
  quiet?: boolean;
}>();

const seedCount = options.seeds ?? 1;
const nodeCount = Number(options.nodes);
const defects = options.defect === undefined ? undefined : defectsByFlag[options.defect];
const defectFlag =
  (options.defect === undefined ? '' : ` --defect ${options.defect}`) +
  (options.livenessTicks === undefined ? '' : ` --liveness-ticks ${options.livenessTicks}`);
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

console.log(
  `holdfast sim: seeds ${options.seed}..${options.seed + seedCount - 1}, ${nodeCount} nodes, ${options.steps} steps${defectFlag}`,
);
const summary = await runSeedsUntilStopped(
  {
    firstSeed: options.seed,
    seedCount,
    nodeCount,
    steps: options.steps,
    ...(defects === undefined ? {} : { defects }),
    checkLinearizability: options.linearizability,
    ...(options.livenessTicks === undefined ? {} : { livenessTicksMax: options.livenessTicks }),
    onResult: (result) => {
      done++;
      if (result.violation !== undefined) {
        violations++;
        console.log(formatFailure(result, defectFlag));
      }
      if (seedCount === 1 && !options.quiet) console.log(`seed ${result.seed}: event digest ${result.digest}`);
      const now = performance.now();
      if (now - lastProgressAt > (options.quiet ? 60_000 : 5_000)) {
        lastProgressAt = now;
        console.log(`  ${done}/${seedCount} seeds, ${violations} violations`);
      }
    },
  },
  () => stopRequested,
);
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
  console.log(`failing seeds: ${summary.failures.map((failure) => failure.seed).join(' ')}`);
  process.exitCode = 1;
}
