import type { Command } from 'commander';
import { UsageError } from './errors.js';

interface BenchModule {
  runBenchCli(argv: readonly string[], log?: (line: string) => void): Promise<number>;
  startRegionalCluster(options: { dataDir: string; nodes: number; regions: string; readMode?: 'read-index' | 'lease' }): Promise<{
    members: { id: number; name: string; region: string; address: string; pid: number }[];
    description: string;
    stop(): Promise<void>;
  }>;
}

// A variable specifier keeps @holdfast/bench out of this package's compile-time graph: the bench
// builds on the client and the server, and the CLI only hands it the command line. The bench is
// not published (it draws charts with vega and drives etcd): the installed CLI goes without it.
const benchPackage = '@holdfast/bench';

async function loadBench(): Promise<Partial<BenchModule>> {
  try {
    return (await import(benchPackage)) as Partial<BenchModule>;
  } catch (error) {
    // Only the bench itself missing; a dependency of the bench missing is a broken checkout.
    const missing = (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && (error as Error).message.includes(`'${benchPackage}'`);
    if (!missing) throw error;
    throw new UsageError(
      `holdfast bench needs ${benchPackage}, which ships with the repository only: run \`npm run bench\` in a clone of it`,
    );
  }
}

/** Runs `holdfast bench ...` through the bench's own command line; returns its exit status. */
export async function runBenchCommand(argv: readonly string[]): Promise<number> {
  const loaded = await loadBench();
  if (typeof loaded.runBenchCli !== 'function') {
    throw new Error(`${benchPackage} does not export runBenchCli; build it with \`npx tsc -b bench\``);
  }
  return loaded.runBenchCli(argv);
}

/** The bench's local multi-region cluster (members behind its latency proxies), for `cluster up --regions`. */
export async function loadRegionalCluster(): Promise<BenchModule['startRegionalCluster']> {
  const loaded = await loadBench();
  if (typeof loaded.startRegionalCluster !== 'function') {
    throw new Error(`${benchPackage} does not export startRegionalCluster; build it with \`npx tsc -b bench\``);
  }
  return loaded.startRegionalCluster;
}

export function addBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('the fault-injection bench (flags as documented by `holdfast bench --help`)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[flags...]')
    // runCli hands `bench` argv over before parsing; this entry exists for the command list.
    .action(async (flags: string[]) => {
      process.exitCode = await runBenchCommand(flags);
    });
}
