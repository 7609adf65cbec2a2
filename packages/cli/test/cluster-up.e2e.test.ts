// End to end: `holdfast cluster up` as a child process, then put/get/status through the CLI
// (needs packages/cli and packages/server built).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cliMainJs, holdfastProcess, waitForExit } from './helpers.js';





interface UpEvent {
  event: 'up';
  endpoints: string[];
  resumed: boolean;
  members: Array<{ id: number; pid: number }>;
}

interface RunningUp {
  child: ChildProcess;
  events: string[];
  records: Array<{ event: string; id?: number }>;
  up: UpEvent;
}

/** Starts `holdfast cluster up --json` in `cwd` and resolves once it reports the cluster up. */
async function startClusterUp(cwd: string, started: ChildProcess[]): Promise<RunningUp> {
  const child = spawn(process.execPath, [cliMainJs, 'cluster', 'up', '--json', '--data-dir', 'cluster-data'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  const events: string[] = [];
  const records: Array<{ event: string; id?: number }> = [];
  const output = createInterface({ input: child.stdout! });
  const up = await new Promise<UpEvent>((resolve, reject) => {
    output.on('line', (line) => {
      const event = JSON.parse(line) as { event: string };
      events.push(event.event);
      records.push(event);
      if (event.event === 'up') resolve(event as UpEvent);
    });
    child.once('exit', (code) => reject(new Error(`cluster up exited with ${code} before it was up`)));
  });
  return { child, events, records, up };
}

describe('holdfast cluster up', () => {
  let workDir: string;
  const started: ChildProcess[] = [];

  beforeAll(() => {
    workDir = mkdtempSync(join(tmpdir(), 'holdfast-cli-e2e-'));
  });

  afterAll(async () => {
    for (const child of started) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await waitForExit(child, 5000);
      }
    }
    rmSync(workDir, { recursive: true, force: true });
  });

  const flags = (up: UpEvent) => ['--endpoints', up.endpoints.join(','), '--json', '--deadline-ms', '30000'];

  it('serves put, get and status through the CLI, then stops on SIGINT', async () => {
    const { child, events, up } = await startClusterUp(workDir, started);
    expect(up.resumed).toBe(false);
    expect(up.endpoints).toHaveLength(3);

    const put = await holdfastProcess([...flags(up), 'put', 'greeting', 'hello'], workDir);
    expect(put.code).toBe(0);
    expect(JSON.parse(put.stdout).revision).toBeGreaterThan(0);

    const get = await holdfastProcess([...flags(up), 'get', 'greeting'], workDir);
    expect(get.code).toBe(0);
    expect(JSON.parse(get.stdout)).toMatchObject({ found: true, key: 'greeting', value: 'hello', version: 1 });

    const missing = await holdfastProcess([...flags(up), 'get', 'nothing-here'], workDir);
    expect(missing.code).toBe(1);

    const status = await holdfastProcess([...flags(up), 'status'], workDir);
    expect(status.code).toBe(0);
    const report = JSON.parse(status.stdout) as { leaderId: number; members: Array<{ id: number; role: string }> };
    expect(report.members.map((member) => member.id).sort()).toEqual([1, 2, 3]);
    expect(report.members.filter((member) => member.role === 'leader').map((member) => member.id)).toEqual([
      report.leaderId,
    ]);

    child.kill('SIGINT');
    expect(await waitForExit(child, 20_000)).toBe(0);
    expect(events).toEqual(['up', 'stopped']);
  }, 90_000);

  it('resumes the same cluster and data when started again on the same data dir', async () => {
    const { child, up } = await startClusterUp(workDir, started);
    expect(up.resumed).toBe(true);
    const get = await holdfastProcess([...flags(up), 'get', 'greeting'], workDir);
    expect(JSON.parse(get.stdout)).toMatchObject({ found: true, value: 'hello' });
    child.kill('SIGTERM');
    expect(await waitForExit(child, 20_000)).toBe(0);
  }, 90_000);

  it('refuses a second cluster up on the data dir in use, and reports and restarts a member that exits', async () => {
    const { child, records, up } = await startClusterUp(workDir, started);
    const second = await holdfastProcess(['cluster', 'up', '--data-dir', 'cluster-data'], workDir);
    expect(second.code).toBe(1);
    expect(second.stdout).toBe('');
    expect(second.stderr).toMatch(new RegExp(`^DataDirInUseError: .*cluster-data is in use by process ${child.pid}`));
    // The running cluster did not notice.
    expect(JSON.parse((await holdfastProcess([...flags(up), 'get', 'greeting'], workDir)).stdout)).toMatchObject({ value: 'hello' });

    const victim = up.members[1]!;
    process.kill(victim.pid, 'SIGKILL');
    await vi.waitFor(() => expect(records.map((record) => `${record.event} ${record.id}`)).toContain(`member-restarted ${victim.id}`), {
      timeout: 20_000,
      interval: 100,
    });
    expect(records.find((record) => record.event === 'member-exited')).toMatchObject({ id: victim.id, exitCode: null, restartInMs: 1000 });
    const status = await holdfastProcess([...flags(up), 'status'], workDir);
    expect((JSON.parse(status.stdout) as { members: unknown[] }).members).toHaveLength(3);

    child.kill('SIGINT');
    expect(await waitForExit(child, 20_000)).toBe(0);
  }, 90_000);
});

describe('holdfast writing into a closed pipe', () => {
  it('exits quietly with its status when the reader of its output has gone (| head)', async () => {
    const child = spawn(process.execPath, [cliMainJs, 'txn', '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The reader goes away before the command writes anything.
    child.stdout?.destroy();
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    expect(await waitForExit(child, 10_000)).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Unhandled/);
  });
});
