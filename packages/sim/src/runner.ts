import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
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

export interface RunSummary {
  readonly seedsRun: number;
  readonly failures: SeedResult[];
  readonly elapsedMs: number;
  /** Processor time of this process (user + system): meaningful on a shared machine. */
  readonly cpuMs: number;
  readonly seedsPerSecond: number;
  readonly seedsPerCpuSecond: number;
  readonly totals: Record<string, number>;
}

/** Adds up seeds as they finish; `summary()` may be taken at any point. */
class RunTally {
  private readonly startedAt = performance.now();
  private readonly cpuAtStart = process.cpuUsage();
  private readonly failures: SeedResult[] = [];
  private readonly totals: Record<string, number> = {};
  private seedsRun = 0;

  add(result: SeedResult): void {
    this.seedsRun++;
    if (result.violation !== undefined) this.failures.push(result);
    const { nemesis, ...rest } = result.stats;
    for (const [name, value] of Object.entries({ ...rest, ...nemesis })) {
      this.totals[name] = (this.totals[name] ?? 0) + value;
    }
  }

  summary(): RunSummary {
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
  const tally = new RunTally();
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
  const tally = new RunTally();
  for (let i = 0; i < options.seedCount && !shouldStop(); i++) {
    const result = runSeed(seedOptions(options, options.firstSeed + i));
    tally.add(result);
    options.onResult?.(result);
    await yieldToEventLoop();
  }
  return tally.summary();
}

/** The command that replays one seed exactly. */
export function replayCommand(result: Pick<SeedResult, 'seed' | 'nodeCount' | 'steps'>): string {
  return `npm run sim -- --seed ${result.seed} --nodes ${result.nodeCount} --steps ${result.steps}`;
}

/** A failure as printed: seed, replay command, the broken invariant and the events before it. */
export function formatFailure(result: SeedResult, defectFlag = ''): string {
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
