import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBenchCli } from '../src/cli.js';
import type { BenchReport } from '../src/report.js';

const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
const lines: string[] = [];
const log = (line: string): void => {
  lines.push(line);
};

function readReport(dir: string): BenchReport {
  return JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as BenchReport;
}

afterAll(() => {
  fs.rmSync(outRoot, { recursive: true, force: true });
});

describe('bench against a 3-node holdfast cluster', () => {
  it('stays linearizable and loses no write while the leader is killed, paused and isolated', async () => {
    const out = path.join(outRoot, 'smoke');
    const status = await runBenchCli(
      [
        '--target', 'holdfast',
        '--nodes', '3',
        '--duration', '22s',
        '--nemesis', 'kill-leader,pause-leader,partition-leader',
        '--fault-duration', '2500ms-3500ms',
        '--quiet', '2s-3s',
        '--warmup', '2s',
        '--cooldown', '2s',
        '--concurrency', '6',
        '--seed', 'ci-smoke',
        '--no-progress',
        '--out', out,
      ],
      log,
    );
    const report = readReport(out);
    expect(report.verdict.failures, lines.join('\n')).toEqual([]);
    expect(status).toBe(0);
    expect(report.verdict.linearizability.linearizable).toBe(true);
    expect(report.verdict.lostWrites.lostWriteCount).toBe(0);
    // The watch over every key lived through the faults and told exactly the writes made.
    expect(report.verdict.watch).toMatchObject({ judged: true, missingCount: 0, repeatedCount: 0, phantomCount: 0, outOfOrder: 0 });
    expect(report.verdict.watch?.error).toBeUndefined();
    expect(report.verdict.watch?.changes).toBeGreaterThan(50);
    expect(report.figures.operations.ok).toBeGreaterThan(100);
    const injected = report.faults.filter((f) => f.skipped === undefined && f.error === undefined).map((f) => f.kind);
    expect(new Set(injected)).toEqual(new Set(['kill-leader', 'pause-leader', 'partition-leader']));
    expect(fs.existsSync(path.join(out, 'report.html'))).toBe(true);
    expect(fs.readdirSync(path.join(out, 'logs')).length).toBe(3);
  }, 150_000);

  it('fails the verdict when a stale read is planted in the history', async () => {
    const out = path.join(outRoot, 'planted');
    const status = await runBenchCli(
      [
        '--target', 'holdfast',
        '--duration', '5s',
        '--nemesis', 'none',
        '--concurrency', '4',
        '--seed', 'ci-planted',
        '--no-progress',
        '--plant-stale-read',
        '--out', out,
      ],
      log,
    );
    const report = readReport(out);
    expect(status).toBe(1);
    expect(report.verdict.passed).toBe(false);
    expect(report.planted[0]).toMatch(/^stale read of /);
    expect(report.verdict.linearizability.violations?.length).toBe(1);
  }, 90_000);

  it('fails the verdict when a member audit reads a value with a byte changed', async () => {
    // The audit reads every key through each member alone; a member serving damaged data must
    // show up as a violation of the checker, whichever member it is.
    const out = path.join(outRoot, 'planted-corrupt');
    const status = await runBenchCli(
      [
        '--target', 'holdfast',
        '--duration', '4s',
        '--nemesis', 'none',
        '--concurrency', '4',
        '--fixed-keys', '50',
        '--seed', 'ci-planted-corrupt',
        '--no-progress',
        '--plant-corrupt-read',
        '--out', out,
      ],
      log,
    );
    const report = readReport(out);
    expect(status).toBe(1);
    expect(report.planted[0]).toMatch(/^corrupt read of f\/\d+ through n\d/);
    expect(report.verdict.linearizability.violations?.map((v) => v.key)).toEqual([report.planted[0]?.split(' ')[3]]);
    // Apart from the planted read, every member served the same, converged state.
    expect(report.verdict.damage?.convergence?.converged).toBe(true);
    expect(Object.values(report.verdict.damage?.audits ?? {}).every((a) => a.ok && a.keysRead > 50)).toBe(true);
  }, 90_000);
});
