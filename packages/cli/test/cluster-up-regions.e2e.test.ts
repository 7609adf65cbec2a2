// End to end: `holdfast cluster up --nodes 5 --regions three-regions` as a child process: five
// members behind the bench's latency proxies, the layout, survival goal and leader preference in
// `holdfast status`, then a clean stop on SIGINT with no member process or proxy left behind
// (needs packages/cli, packages/server and bench built).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { cliMainJs, holdfastProcess, waitForExit } from './helpers.js';


interface UpEvent {
  event: 'up';
  dataDir: string;
  endpoints: string[];
  members: Array<{ id: number; name: string; region: string; address: string; pid: number }>;
  regions: string;
}



function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves true when something accepts a TCP connection at `address`. */
function accepts(address: string): Promise<boolean> {
  const colon = address.lastIndexOf(':');
  return new Promise((resolve) => {
    const socket = net.connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('holdfast cluster up --regions', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'holdfast-cli-regions-'));
  const started: ChildProcess[] = [];
  const memberPids: number[] = [];

  afterAll(async () => {
    for (const child of started) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await waitForExit(child, 5000);
      }
    }
    // Members of a run that failed half way must not outlive the test.
    for (const pid of memberPids) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(workDir, { recursive: true, force: true });
  });

  it('starts five members in three regions, shows the layout and survival in status, and stops cleanly', async () => {
    const child = spawn(process.execPath, [cliMainJs, 'cluster', 'up', '--json', '--data-dir', 'cluster-data', '--nodes', '5', '--regions', 'three-regions'], {
      cwd: workDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push(child);
    const events: string[] = [];
    const up = await new Promise<UpEvent>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const event = JSON.parse(line) as { event: string };
        events.push(event.event);
        if (event.event === 'up') resolve(event as UpEvent);
      });
      child.once('exit', (code) => reject(new Error(`cluster up exited with ${code} before it was up`)));
    });
    memberPids.push(...up.members.map((m) => m.pid));
    expect(up.members.map((m) => `${m.id} ${m.region}`)).toEqual(['1 us-east', '2 us-west', '3 eu-west', '4 us-east', '5 us-west']);
    expect(up.members.every((m) => m.pid > 0 && processAlive(m.pid))).toBe(true);
    expect(up.endpoints).toEqual(up.members.map((m) => m.address));

    const flags = ['--endpoints', up.endpoints.join(','), '--json', '--deadline-ms', '30000'];
    // The leader preference is set as the cluster comes up; status shows it once applied.
    const status = await vi.waitFor(
      async () => {
        const result = await holdfastProcess([...flags, 'status'], workDir);
        expect(result.code).toBe(0);
        const parsed = JSON.parse(result.stdout) as {
          layout: string;
          survivesRegionLoss: boolean;
          placement: { leaderRegions: string[]; survive: string };
          members: Array<{ id: number; region: string; role: string }>;
        };
        expect(parsed.placement.leaderRegions).toEqual(['us-east']);
        return parsed;
      },
      { timeout: 30_000, interval: 500 },
    );
    expect(status.layout).toBe('us-east 2, us-west 2, eu-west 1');
    expect(status.survivesRegionLoss).toBe(true);
    expect(status.members.map((m) => `${m.id} ${m.region}`)).toEqual(['1 us-east', '2 us-west', '3 eu-west', '4 us-east', '5 us-west']);
    const text = await holdfastProcess(['--endpoints', up.endpoints.join(','), 'status'], workDir);
    expect(text.stdout).toContain('us-east 2, us-west 2, eu-west 1 (survives the loss of any one region)');

    child.kill('SIGINT');
    expect(await waitForExit(child, 30_000)).toBe(0);
    expect(events).toEqual(['up', 'stopped']);
    expect(up.members.filter((m) => processAlive(m.pid)).map((m) => m.name)).toEqual([]);
    const listening = await Promise.all(up.endpoints.map(accepts));
    expect(listening.every((open) => !open)).toBe(true);
  }, 120_000);
});
