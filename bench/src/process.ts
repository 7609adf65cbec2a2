import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';

/** Children still running; killed if the bench exits (also on Ctrl-C, see main.ts) so none is orphaned. */
const liveChildren = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

/** A child process whose output goes to a log file kept with the report. */
export class ManagedProcess {
  readonly name: string;
  private child: ChildProcess | undefined;
  private exitPromise: Promise<number | null> = Promise.resolve(null);
  private paused = false;

  constructor(name: string) {
    this.name = name;
  }

  /** The running child's process id. */
  get pid(): number | undefined {
    return this.isRunning() ? this.child?.pid : undefined;
  }

  start(options: { command: string; args: string[]; logFile: string; env?: NodeJS.ProcessEnv }): void {
    if (this.isRunning()) throw new Error(`process ${this.name} is already running (pid ${this.child?.pid})`);
    const log = fs.openSync(options.logFile, 'a');
    fs.writeSync(log, `\n=== start ${new Date().toISOString()}: ${options.command} ${options.args.join(' ')}\n`);
    const child = spawn(options.command, options.args, {
      stdio: ['ignore', log, log],
      env: options.env ?? process.env,
    });
    fs.closeSync(log);
    installExitHook();
    liveChildren.add(child);
    child.once('exit', () => liveChildren.delete(child));
    this.child = child;
    this.paused = false;
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? (signal === null ? null : -1)));
      child.once('error', () => resolve(-1));
    });
  }

  isRunning(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  isPaused(): boolean {
    return this.paused;
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.isRunning()) return;
    this.child?.kill(signal);
    if (signal === 'SIGSTOP') this.paused = true;
    if (signal === 'SIGCONT') this.paused = false;
  }

  /** SIGKILL (after SIGCONT, so a paused process dies too) and wait for the exit. */
  async kill(): Promise<void> {
    if (!this.isRunning()) return;
    this.child?.kill('SIGKILL');
    this.paused = false;
    await this.exitPromise;
  }

  /** SIGTERM, then SIGKILL after a grace period. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.isRunning()) return;
    if (this.paused) this.signal('SIGCONT');
    this.child?.kill('SIGTERM');
    const exited = await this.waitForExit(graceMs);
    if (!exited) await this.kill();
  }

  async waitForExit(timeoutMs: number): Promise<boolean> {
    if (!this.isRunning()) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([this.exitPromise.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }
}

export function commandExists(command: string): boolean {
  const paths = (process.env['PATH'] ?? '').split(':');
  return paths.some((dir) => dir !== '' && fs.existsSync(`${dir}/${command}`));
}
