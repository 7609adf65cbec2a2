import type { Command } from 'commander';

interface BenchModule {
  runBenchCli(argv: readonly string[], log?: (line: string) => void): Promise<number>;
}

// A variable specifier keeps @holdfast/bench out of this package's compile-time graph: the bench
// builds on the client and the server, and the CLI only hands it the command line.
const benchPackage = '@holdfast/bench';

/** Runs `holdfast bench ...` through the bench's own command line; returns its exit status. */
export async function runBenchCommand(argv: readonly string[]): Promise<number> {
  const loaded = (await import(benchPackage)) as Partial<BenchModule>;
  if (typeof loaded.runBenchCli !== 'function') {
    throw new Error(`${benchPackage} does not export runBenchCli; build it with \`npx tsc -b bench\``);
  }
  return loaded.runBenchCli(argv);
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
