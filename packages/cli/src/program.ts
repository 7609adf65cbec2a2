import { readFileSync } from 'node:fs';
import { HoldfastError } from '@holdfast/client';
import { Command, CommanderError } from 'commander';
import { addAuthCommands } from './auth-commands.js';
import { addBenchCommand, runBenchCommand } from './bench-command.js';
import { addBackupCommands, addRecoverCommand } from './backup-commands.js';
import { addClusterCommands, runNodeCommand } from './cluster-commands.js';
import { type CliIo, parsePositiveInteger, processIo } from './context.js';
import { ChildExitError, DataDirInUseError, KeyNotFoundError, UsageError } from './errors.js';
import { addKvCommands } from './kv-commands.js';
import { addLeaseCommands } from './lease-commands.js';

export const exitCodes = { ok: 0, failure: 1, usage: 2 } as const;

/** This package's version, from its package.json (found from src/ and dist/ alike). */
export function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}

export function buildProgram(io: CliIo): Command {
  const program = new Command('holdfast')
    .description('holdfast: a replicated key-value store')
    .version(cliVersion(), '--version', 'print the version of holdfast')
    .option('--endpoints <list>', 'host:port,... (default: HOLDFAST_ENDPOINTS, then .data/cluster/cluster.json, then 127.0.0.1:7001-7003)')
    .option('--json', 'one JSON document on stdout per result, for scripts')
    .option('--deadline-ms <ms>', 'budget per call, retries included (default 5000)', parsePositiveInteger)
    .option('--tls-ca-file <file>', "TLS: the PEM CA that signs the nodes' certificates (default: plaintext)")
    .option('--tls-cert-file <file>', 'TLS: this client\'s PEM certificate, for nodes run with --tls-client-auth')
    .option('--tls-key-file <file>', 'TLS: the PEM key of --tls-cert-file')
    .option('--user <name[:password]>', 'log in as this user when the cluster has auth on (password: after the colon, else HOLDFAST_PASSWORD, else asked for)')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.writeOut(text), writeErr: (text) => io.writeErr(text) })
    .showHelpAfterError('(run with --help for usage)');
  addKvCommands(program, io);
  addLeaseCommands(program, io);
  addAuthCommands(program, io);
  addClusterCommands(program, io);
  addBackupCommands(program, io);
  addRecoverCommand(program, io);
  addBenchCommand(program);
  return program;
}

/** Writes the failure as `ErrorName: message` (or JSON with --json) and returns the exit status. */
function reportFailure(io: CliIo, error: unknown, json: boolean): number {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const known = error instanceof HoldfastError || error instanceof UsageError || error instanceof KeyNotFoundError || error instanceof DataDirInUseError;
  const code = known ? error.code : undefined;
  if (!(error instanceof KeyNotFoundError) || !json) {
    io.writeErr(json ? `${JSON.stringify({ error: { name, code, message } })}\n` : `${name}: ${message}\n`);
  }
  return error instanceof UsageError ? exitCodes.usage : exitCodes.failure;
}

/** Runs the holdfast command line (`argv` without node and script) and returns the exit status. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    // `holdfast node ...` hands every flag to the node untouched, even ones named like ours.
    if (argv[0] === 'node') {
      await runNodeCommand(argv.slice(1), io);
      return exitCodes.ok;
    }
    if (argv[0] === 'bench') return await runBenchCommand(argv.slice(1));
    await program.parseAsync([...argv], { from: 'user' });
    return exitCodes.ok;
  } catch (error: unknown) {
    if (error instanceof CommanderError) {
      // Commander has printed the usage problem (or the help) already.
      return error.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    }
    if (error instanceof ChildExitError) {
      io.writeErr(`holdfast: ${error.message}\n`);
      return error.exitStatus;
    }
    return reportFailure(io, error, argv.includes('--json'));
  }
}
