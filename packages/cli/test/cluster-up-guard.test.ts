import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOCK_FILE_NAME, lockDataDir } from '../src/data-dir-lock.js';
import { DataDirInUseError, describeMemberEvent, type MemberEvent, MemberSupervisor, type SupervisedCluster } from '../src/index.js';

describe('the data directory lock of cluster up', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'holdfast-lock-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a directory a live process holds, naming it, and frees it on release', () => {
    const dir = tempDir();
    // A live process other than this one holds it: the parent of this test process.
    writeFileSync(join(dir, LOCK_FILE_NAME), `${process.ppid}\n`);
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir)).toThrow(new RegExp(`in use by process ${process.ppid}`));
    rmSync(join(dir, LOCK_FILE_NAME));
    const lock = lockDataDir(dir);
    expect(readFileSync(lock.path, 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
    lockDataDir(dir).release();
  });

  it('takes over a lock whose process is gone', () => {
    const dir = tempDir();
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(join(dir, LOCK_FILE_NAME), `${gone.stdout}\n`);
    const lock = lockDataDir(dir);
    expect(readFileSync(lock.path, 'utf8')).toBe(`${process.pid}\n`);
    lock.release();
  });
});

/** Members that run until a test makes them exit. */
class FakeCluster implements SupervisedCluster {
  readonly members = [1, 2, 3].map((id) => ({ id, name: `node-${id}`, removed: false, logFile: `node-${id}.log` }));
  readonly running = new Set([1, 2, 3]);
  readonly started: number[] = [];
  isRunning(id: number): boolean {
    return this.running.has(id);
  }
  exitCode(): number | null {
    return 13;
  }
  startMember(id: number): void {
    this.started.push(id);
    this.running.add(id);
  }
}

describe('the member supervisor of cluster up', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports a member that exits and restarts it, waiting twice as long each time it keeps exiting', () => {
    const cluster = new FakeCluster();
    const events: MemberEvent[] = [];
    const supervisor = new MemberSupervisor(cluster, { restart: true, report: (event) => events.push(event), backoffBaseMs: 1000 });
    supervisor.start();
    cluster.running.delete(2);
    vi.advanceTimersByTime(250);
    expect(events).toEqual([{ event: 'member-exited', id: 2, name: 'node-2', exitCode: 13, logFile: 'node-2.log', restartInMs: 1000 }]);
    expect(describeMemberEvent(events[0]!)).toBe('holdfast: member 2 (node-2) exited with status 13 (log: node-2.log); restarting it in 1 s');
    vi.advanceTimersByTime(1000);
    expect(cluster.started).toEqual([2]);
    expect(events.at(-1)).toEqual({ event: 'member-restarted', id: 2, name: 'node-2' });
    cluster.running.delete(2);
    vi.advanceTimersByTime(250);
    expect(events.at(-1)).toMatchObject({ event: 'member-exited', id: 2, restartInMs: 2000 });
    vi.advanceTimersByTime(1999);
    expect(cluster.started).toEqual([2]);
    vi.advanceTimersByTime(1);
    expect(cluster.started).toEqual([2, 2]);
    // Up for longer than stableMs: the next exit waits the first backoff again.
    vi.advanceTimersByTime(61_000);
    cluster.running.delete(2);
    vi.advanceTimersByTime(250);
    expect(events.at(-1)).toMatchObject({ event: 'member-exited', id: 2, restartInMs: 1000 });
    supervisor.stop();
  });

  it('with --no-restart reports the exit once and leaves the member down', () => {
    const cluster = new FakeCluster();
    const events: MemberEvent[] = [];
    const supervisor = new MemberSupervisor(cluster, { restart: false, report: (event) => events.push(event) });
    supervisor.start();
    cluster.running.delete(3);
    vi.advanceTimersByTime(10_000);
    expect(events).toEqual([{ event: 'member-exited', id: 3, name: 'node-3', exitCode: 13, logFile: 'node-3.log', restartInMs: undefined }]);
    expect(describeMemberEvent(events[0]!)).toMatch(/stays down \(--no-restart\)$/);
    expect(cluster.started).toEqual([]);
    supervisor.stop();
  });

  it('restarts nothing once stopped (the cluster is being stopped on purpose)', () => {
    const cluster = new FakeCluster();
    const supervisor = new MemberSupervisor(cluster, { restart: true, report: () => {} });
    supervisor.start();
    cluster.running.delete(1);
    vi.advanceTimersByTime(250);
    supervisor.stop();
    vi.advanceTimersByTime(60_000);
    expect(cluster.started).toEqual([]);
  });
});
