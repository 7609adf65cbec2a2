import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBenchCli } from '../src/cli.js';
import type { BenchReport } from '../src/report.js';

const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-corrupt-smoke-'));
const lines: string[] = [];
const log = (line: string): void => {
  lines.push(line);
};

afterAll(() => {
  fs.rmSync(outRoot, { recursive: true, force: true });
});

describe('the disk-corruption nemesis against a 3-node holdfast cluster', () => {
  it('loses no write and serves no damaged value while members have their log tails and state tables damaged', async () => {
    const out = path.join(outRoot, 'corrupt');
    const status = await runBenchCli(
      [
        '--target', 'holdfast',
        '--duration', '30s',
        '--nemesis', 'corrupt',
        '--fault-duration', '1s-2s',
        '--quiet', '1s-2s',
        '--warmup', '2s',
        '--cooldown', '2s',
        '--repair-timeout', '25s',
        '--fixed-keys', '500',
        '--concurrency', '4',
        // Its first round: the log's tail flipped, a state table flipped, the log cut in a record.
        '--seed', 'ci-corrupt-3',
        '--no-progress',
        '--out', out,
      ],
      log,
    );
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as BenchReport;
    expect(report.verdict.failures, lines.join('\n')).toEqual([]);
    expect(status).toBe(0);
    const reports = report.verdict.damage?.reports ?? [];
    // Repairs take longer on a loaded machine: the first two damages always fit in the run.
    expect(reports.map((r) => r.kind).slice(0, 2)).toEqual(['corrupt-log-tail', 'corrupt-state-table']);
    // With two healthy members left, repair is always safe: every damaged member is repaired.
    expect(reports.every((r) => r.outcome === 'repaired')).toBe(true);
    expect(report.verdict.damage?.convergence?.converged).toBe(true);
    expect(report.verdict.linearizability.linearizable).toBe(true);
    expect(report.verdict.lostWrites.lostWriteCount).toBe(0);
  }, 240_000); // a failing run waits out its repair, convergence and audit deadlines before it reports
});
