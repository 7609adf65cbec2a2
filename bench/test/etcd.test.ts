import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBenchCli } from '../src/cli.js';
import { ETCD_INSTALL_HINT, etcdInstalled } from '../src/etcd.js';
import type { BenchReport } from '../src/report.js';

const installed = etcdInstalled();
if (!installed) console.log(`bench etcd tests skipped: ${ETCD_INSTALL_HINT}`);

const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-etcd-'));
afterAll(() => {
  fs.rmSync(outRoot, { recursive: true, force: true });
});

describe.runIf(installed)('bench against etcd', () => {
  it('runs the register workload through the proxies while the leader is isolated and judges it', async () => {
    const out = path.join(outRoot, 'etcd');
    const lines: string[] = [];
    const status = await runBenchCli(
      [
        '--target', 'etcd',
        '--duration', '10s',
        '--nemesis', 'partition-leader',
        '--fault-duration', '3s',
        '--warmup', '2s',
        '--concurrency', '4',
        '--seed', 'ci-etcd',
        '--no-progress',
        '--out', out,
      ],
      (line) => lines.push(line),
    );
    const report = JSON.parse(fs.readFileSync(path.join(out, 'report.json'), 'utf8')) as BenchReport;
    expect(report.verdict.failures, lines.join('\n')).toEqual([]);
    expect(status).toBe(0);
    expect(report.faults[0]?.kind).toBe('partition-leader');
    expect(report.faults[0]?.skipped).toBeUndefined();
    // Isolating the leader through the peer proxies must move leadership.
    expect(report.figures.leaderChanges).toBeGreaterThanOrEqual(1);
  }, 90_000);
});
