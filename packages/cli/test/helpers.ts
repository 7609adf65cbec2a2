// The cluster fixture of the CLI's end-to-end tests: real node processes on loopback (needs the
// packages built), and the CLI run in this process against them.
import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@holdfast/client';
import { LocalCluster } from '@holdfast/server';
import { type CliIo, runCli } from '../src/index.js';

/** One CLI run: its exit status and what it wrote. */
export interface Run {
  code: number;
  out: string;
  err: string;
}

export class CliCluster {
  /** A command waiting for a stop signal (watch, lock, elect) is told SIGINT by `signalStop`. */
  private stopWaiting: () => void = () => {};

  private constructor(
    /** A temporary folder: the CLI's working directory, with the members' data below `cluster/`. */
    readonly root: string,
    readonly cluster: LocalCluster,
  ) {}

  /** Starts `size` members (3) with `extraArgs` and waits for a leader; `name` names the temporary folder. */
  static async start(options: { name: string; size?: number; extraArgs?: () => string[] }): Promise<CliCluster> {
    const root = mkdtempSync(join(tmpdir(), `holdfast-cli-${options.name}-`));
    try {
      const cluster = await LocalCluster.start({
        dataDir: join(root, 'cluster'),
        size: options.size ?? 3,
        logLevel: 'warn',
        ...(options.extraArgs === undefined ? {} : { extraArgs: options.extraArgs }),
      });
      await cluster.waitForLeader(20_000);
      return new CliCluster(root, cluster);
    } catch (error) {
      rmSync(root, { recursive: true, force: true });
      throw error;
    }
  }

  /** Runs `holdfast ...argv` against the cluster (HOLDFAST_ENDPOINTS), in `root`. */
  holdfast(...argv: string[]): Promise<Run> {
    return this.holdfastWith({}, ...argv);
  }

  /** As `holdfast`, with more environment variables and the answer to a password prompt. */
  async holdfastWith(options: { env?: Record<string, string>; promptPassword?: CliIo['promptPassword'] }, ...argv: string[]): Promise<Run> {
    const run: Run = { code: -1, out: '', err: '' };
    const io: CliIo = {
      writeOut: (text) => {
        run.out += text;
      },
      writeErr: (text) => {
        run.err += text;
      },
      readStdin: async () => '',
      env: { HOLDFAST_ENDPOINTS: this.cluster.endpoints().join(','), ...options.env },
      cwd: this.root,
      createClient,
      waitForStopSignal: () =>
        new Promise((resolve) => {
          this.stopWaiting = () => resolve('SIGINT');
        }),
      ...(options.promptPassword === undefined ? {} : { promptPassword: options.promptPassword }),
    };
    run.code = await runCli(argv, io);
    return run;
  }

  /** Tells the running command that waits for a stop signal to stop, as Ctrl-C would. */
  signalStop(): void {
    this.stopWaiting();
  }

  /** Stops every member and removes the folder. */
  async close(): Promise<void> {
    await this.cluster.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** The built CLI's entry point, for tests that run it as its own process. */
export const cliMainJs = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** How a process ended: its exit code (1 when it has none, as when a timeout killed it) and what it wrote. */
export interface ProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `file` to its end; a failure is its exit code, never a rejection. */
export function runProcess(
  file: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number; outputBytesMax?: number },
): Promise<ProcessRun> {
  const limits = {
    ...(options.timeoutMs === undefined ? {} : { timeout: options.timeoutMs }),
    ...(options.outputBytesMax === undefined ? {} : { maxBuffer: options.outputBytesMax }),
  };
  return new Promise((resolve) => {
    execFile(file, [...args], { cwd: options.cwd, env: options.env, ...limits }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

/** One run of the built CLI as its own process (endpoints only from its arguments or `cwd`). */
export function holdfastProcess(args: string[], cwd: string): Promise<ProcessRun> {
  return runProcess(process.execPath, [cliMainJs, ...args], { cwd, env: { ...process.env, HOLDFAST_ENDPOINTS: '' } });
}

/** The child's exit code once it exits, or null if it has not within `timeoutMs`. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}
