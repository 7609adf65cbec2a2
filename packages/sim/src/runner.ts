import { runSeed, type SeedResult, type SimDefects } from './simulation.js';

export interface RunSeedsOptions {
  readonly firstSeed: number;
  readonly seedCount: number;
  readonly nodeCount: number;
  readonly steps: number;
  readonly defects?: SimDefects;
  readonly checkLinearizability?: boolean;
  /** Called after every seed (progress, failure reports). */
  readonly onResult?: (result: SeedResult) => void;
}

export interface RunSummary {
  readonly seedsRun: number;
  readonly failures: SeedResult[];
  readonly elapsedMs: number;
  readonly seedsPerSecond: number;
  readonly totals: Record<string, number>;
}

/** Runs consecutive seeds and adds up what happened in them. */
export function runSeeds(options: RunSeedsOptions): RunSummary {
  const startedAt = performance.now();
  const failures: SeedResult[] = [];
  const totals: Record<string, number> = {};
  for (let i = 0; i < options.seedCount; i++) {
    const seedOptions = {
      seed: options.firstSeed + i,
      nodeCount: options.nodeCount,
      steps: options.steps,
      ...(options.defects === undefined ? {} : { defects: options.defects }),
      ...(options.checkLinearizability === undefined ? {} : { checkLinearizability: options.checkLinearizability }),
    };
    const result = runSeed(seedOptions);
    addTotals(totals, result);
    if (result.violation !== undefined) failures.push(result);
    options.onResult?.(result);
  }
  const elapsedMs = performance.now() - startedAt;
  return {
    seedsRun: options.seedCount,
    failures,
    elapsedMs,
    seedsPerSecond: options.seedCount / Math.max(elapsedMs / 1000, 1e-9),
    totals,
  };
}

function addTotals(totals: Record<string, number>, result: SeedResult): void {
  const { nemesis, ...rest } = result.stats;
  for (const [name, value] of Object.entries({ ...rest, ...nemesis })) totals[name] = (totals[name] ?? 0) + value;
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
