import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { type RealDefects, type RealSeedResult, type RealSimOptions, runRealSeed, type StorageFaultOptions } from './real/simulation.js';
import { runSeed, type SeedResult, type SimDefects } from './simulation.js';

export interface RunSeedsOptions {
  readonly firstSeed: number;
  readonly seedCount: number;
  readonly nodeCount: number;
  readonly steps: number;
  readonly defects?: SimDefects;
  readonly checkLinearizability?: boolean;
  readonly livenessTicksMax?: number;
  /** Called after every seed (progress, failure reports). */
  readonly onResult?: (result: SeedResult) => void;
}

export interface RunSummary<R = SeedResult> {
  readonly seedsRun: number;
  readonly failures: R[];
  readonly elapsedMs: number;
  /** Processor time of this process (user + system): meaningful on a shared machine. */
  readonly cpuMs: number;
  readonly seedsPerSecond: number;
  readonly seedsPerCpuSecond: number;
  readonly totals: Record<string, number>;
}

/** What the tally needs of a seed's result (core-only or real node). */
interface TalliedResult {
  readonly violation: unknown;
  readonly stats: { readonly nemesis: object } & object;
}

/** Adds up seeds as they finish; `summary()` may be taken at any point. */
class RunTally<R extends TalliedResult> {
  private readonly startedAt = performance.now();
  private readonly cpuAtStart = process.cpuUsage();
  private readonly failures: R[] = [];
  private readonly totals: Record<string, number> = {};
  private seedsRun = 0;

  add(result: R): void {
    this.seedsRun++;
    if (result.violation !== undefined) this.failures.push(result);
    const { nemesis, ...rest } = result.stats;
    for (const [name, value] of Object.entries({ ...rest, ...nemesis })) {
      if (typeof value === 'number') this.totals[name] = (this.totals[name] ?? 0) + value;
      // One level of grouped counters (the real node's lease workload).
      else if (typeof value === 'object' && value !== null && name !== 'nemesis') {
        for (const [inner, count] of Object.entries(value)) if (typeof count === 'number') this.totals[inner] = (this.totals[inner] ?? 0) + count;
      }
    }
  }

  summary(): RunSummary<R> {
    const elapsedMs = performance.now() - this.startedAt;
    const cpu = process.cpuUsage(this.cpuAtStart);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return {
      seedsRun: this.seedsRun,
      failures: this.failures,
      elapsedMs,
      cpuMs,
      seedsPerSecond: this.seedsRun / Math.max(elapsedMs / 1000, 1e-9),
      seedsPerCpuSecond: this.seedsRun / Math.max(cpuMs / 1000, 1e-9),
      totals: { ...this.totals },
    };
  }
}

function seedOptions(options: RunSeedsOptions, seed: number) {
  return {
    seed,
    nodeCount: options.nodeCount,
    steps: options.steps,
    ...(options.defects === undefined ? {} : { defects: options.defects }),
    ...(options.checkLinearizability === undefined ? {} : { checkLinearizability: options.checkLinearizability }),
    ...(options.livenessTicksMax === undefined ? {} : { livenessTicksMax: options.livenessTicksMax }),
  };
}

/** Runs consecutive seeds and adds up what happened in them. */
export function runSeeds(options: RunSeedsOptions): RunSummary {
  const tally = new RunTally<SeedResult>();
  for (let i = 0; i < options.seedCount; i++) {
    const result = runSeed(seedOptions(options, options.firstSeed + i));
    tally.add(result);
    options.onResult?.(result);
  }
  return tally.summary();
}

/**
 * As runSeeds, but yields to the event loop between seeds so that a signal can stop the run
 * early (`shouldStop`); the summary then covers the seeds that finished.
 */
export async function runSeedsUntilStopped(options: RunSeedsOptions, shouldStop: () => boolean): Promise<RunSummary> {
  const tally = new RunTally<SeedResult>();
  for (let i = 0; i < options.seedCount && !shouldStop(); i++) {
    const result = runSeed(seedOptions(options, options.firstSeed + i));
    tally.add(result);
    options.onResult?.(result);
    await yieldToEventLoop();
  }
  return tally.summary();
}

export interface RunRealSeedsOptions {
  readonly firstSeed: number;
  readonly seedCount: number;
  readonly nodeCount: number;
  readonly steps: number;
  readonly storageFaults?: StorageFaultOptions;
  readonly defects?: RealDefects;
  readonly checkLinearizability?: boolean;
  readonly leaseReads?: RealSimOptions['leaseReads'];
  readonly forwardsWaitForLeader?: boolean;
  readonly electionSpreadPercent?: number;
  readonly electionRankSlotTicks?: number;
  readonly readRoundsInFlightMax?: number;
  readonly onResult?: (result: RealSeedResult) => void;
}

/** Runs consecutive seeds of the real node until done or `shouldStop`, adding up what happened. */
export async function runRealSeeds(options: RunRealSeedsOptions, shouldStop: () => boolean = () => false): Promise<RunSummary<RealSeedResult>> {
  const tally = new RunTally<RealSeedResult>();
  for (let i = 0; i < options.seedCount && !shouldStop(); i++) {
    const result = await runRealSeed({
      seed: options.firstSeed + i,
      nodeCount: options.nodeCount,
      steps: options.steps,
      ...(options.storageFaults === undefined ? {} : { storageFaults: options.storageFaults }),
      ...(options.defects === undefined ? {} : { defects: options.defects }),
      ...(options.checkLinearizability === undefined ? {} : { checkLinearizability: options.checkLinearizability }),
      ...(options.leaseReads === undefined ? {} : { leaseReads: options.leaseReads }),
      ...(options.forwardsWaitForLeader === undefined ? {} : { forwardsWaitForLeader: options.forwardsWaitForLeader }),
      ...(options.electionSpreadPercent === undefined ? {} : { electionSpreadPercent: options.electionSpreadPercent }),
      ...(options.electionRankSlotTicks === undefined ? {} : { electionRankSlotTicks: options.electionRankSlotTicks }),
      ...(options.readRoundsInFlightMax === undefined ? {} : { readRoundsInFlightMax: options.readRoundsInFlightMax }),
    });
    tally.add(result);
    options.onResult?.(result);
  }
  return tally.summary();
}

/** The command that replays one seed exactly. */
export function replayCommand(result: Pick<SeedResult, 'seed' | 'nodeCount' | 'steps'>): string {
  return `npm run sim -- --seed ${result.seed} --nodes ${result.nodeCount} --steps ${result.steps}`;
}

/** A failure as printed: seed, replay command, the broken invariant and the events before it. */
export function formatFailure(result: Pick<SeedResult, 'seed' | 'nodeCount' | 'steps' | 'violation' | 'recentEvents'>, defectFlag = ''): string {
  const violation = result.violation;
  if (violation === undefined) return `seed ${result.seed}: no violation`;
  return [
    `VIOLATION in seed ${result.seed} (${result.nodeCount} nodes, ${result.steps} steps): ${violation.invariant}`,
    `  replay: ${replayCommand(result)}${defectFlag}`,
    `  ${violation.message.split('\n').join('\n  ')}`,
    `  last ${result.recentEvents.length} events:`,
    ...result.recentEvents.map((line) => `    ${line}`),
  ].join('\n');
}
