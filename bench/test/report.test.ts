import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchOperation } from '../src/history.js';
import type { FaultWindow } from '../src/nemesis.js';
import { type BenchReport, recoveryByKind, renderHtml, renderSummaryMarkdown, writeReports } from '../src/report.js';
import { renderComparison } from '../src/cli.js';
import { computeFigures } from '../src/stats.js';

/** 10 s of one op every 10 ms, with nothing succeeding between 4 s and 5.5 s (a fault at 4 s to 5 s). */
function syntheticOperations(): BenchOperation[] {
  const operations: BenchOperation[] = [];
  for (let i = 0; i < 1000; i += 1) {
    const invokedAt = i * 10;
    const inOutage = invokedAt >= 4000 && invokedAt < 5500;
    operations.push({
      id: i,
      clientId: 1 + (i % 4),
      key: `k${i % 3}`,
      input: { kind: 'put', value: `v${i}` },
      outcome: inOutage ? 'unknown' : 'ok',
      ...(inOutage ? {} : { output: { kind: 'put' as const } }),
      invokedAt,
      returnedAt: inOutage ? Number.POSITIVE_INFINITY : invokedAt + 2 + (i % 5),
      completedAt: invokedAt + 2 + (i % 5),
    });
  }
  return operations;
}

const fault: FaultWindow = { index: 0, kind: 'kill-leader', startMs: 4000, endMs: 5000, nodes: ['n1'], detail: 'SIGKILL n1' };

function syntheticReport(): BenchReport {
  const figures = computeFigures({
    operations: syntheticOperations(),
    windows: [fault],
    leaderSamples: [
      { atMs: 0, leader: 'n1' },
      { atMs: 4500, leader: undefined },
      { atMs: 5600, leader: 'n2' },
    ],
    workloadStartMs: 0,
    workloadEndMs: 10_000,
  });
  return {
    version: 1,
    target: 'holdfast',
    startedAt: '2026-01-01T00:00:00.000Z',
    clockEpochMs: 0,
    options: {},
    seed: '1',
    schedule: [],
    faults: [fault],
    figures,
    verdict: {
      passed: false,
      failures: ['1 acknowledged write(s) lost'],
      linearizability: { judged: true, linearizable: true, keysChecked: 3, operationsChecked: 1000, undecidedKeys: [], elapsedMs: 5, violations: [] },
      lostWrites: {
        keysRead: 3,
        keysUnreadable: [],
        lostWrites: [{ key: 'k1', kind: 'stale', acknowledgedWrites: 10, detail: 'planted in a test' }],
        lostWriteCount: 1,
        duplicates: [],
      },
    },
    planted: [],
    notes: [],
    outDir: '/tmp',
  };
}

describe('figures', () => {
  it('buckets outcomes per 100 ms and measures the outage after a fault', () => {
    const report = syntheticReport();
    expect(report.figures.timeline).toHaveLength(100);
    expect(report.figures.operations).toEqual({ total: 1000, ok: 850, failed: 0, unknown: 150 });
    const recovery = report.figures.recoveries[0];
    expect(recovery?.firstSuccessMs).toBeCloseTo(1502, 0);
    expect(recovery?.firstWriteMs).toBeCloseTo(1502, 0);
    expect(recovery?.unavailableMs).toBe(1500);
    expect(report.figures.leaderChanges).toBe(1);
    expect(recoveryByKind(report.figures)[0]?.kind).toBe('kill-leader');
  });
});

describe('report rendering', () => {
  it('renders the HTML page with three vega charts inlined as SVG and the fault shaded', async () => {
    const html = await renderHtml(syntheticReport(), 0);
    expect(html.match(/<svg/g)).toHaveLength(3);
    expect(html).toContain('kill-leader');
    expect(html).toContain('Verdict: FAIL');
  });

  it('summarises verdict, figures, faults and lost writes in markdown', () => {
    const markdown = renderSummaryMarkdown(syntheticReport());
    expect(markdown).toContain('**Verdict: FAIL**');
    expect(markdown).toContain('1 acknowledged write(s) lost');
    expect(markdown).toMatch(/\| 0 \| kill-leader \| 4\.0 \| 5\.0 \| n1 \|/);
    expect(markdown).toContain('`k1` stale: planted in a test');
  });

  it('gives the per-region table as a section of its own, after the figures table', () => {
    const report = syntheticReport();
    const rows = [{ region: 'eu-west', kind: 'put', count: 3, ok: 2, okPerS: 0.2, p50Ms: 81, p99Ms: 90 }];
    const markdown = renderSummaryMarkdown({ ...report, figures: { ...report.figures, byClientRegion: rows } });
    const lines = markdown.split('\n');
    const heading = lines.indexOf('## Latency by client region');
    expect(heading).toBeGreaterThan(lines.findIndex((line) => line.startsWith('| lost writes |')));
    expect(lines.slice(heading, heading + 5)).toEqual([
      '## Latency by client region',
      '',
      '| client region | operation | ops | ok/s | p50 ms | p99 ms |',
      '|---|---|---|---|---|---|',
      '| eu-west | put | 3 | 0.2 | 81.00 | 90.00 |',
    ]);
    expect(lines[heading - 1]).toBe('');
  });

  it('writes report.json, summary.md and report.html', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-report-'));
    try {
      await writeReports({ report: syntheticReport(), workloadStartMs: 0, outDir: dir });
      expect(fs.readdirSync(dir).sort()).toEqual(['report.html', 'report.json', 'summary.md']);
      const parsed = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8')) as BenchReport;
      expect(parsed.figures.operations.ok).toBe(850);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('puts two runs side by side', () => {
    const holdfast = syntheticReport();
    const etcd = { ...syntheticReport(), target: 'etcd' };
    const table = renderComparison([holdfast, etcd]);
    expect(table.split('\n')[0]).toBe('| metric | holdfast | etcd |');
    expect(table).toContain('| lost writes | 1 | 1 |');
    expect(table).toContain('unavailable after kill-leader');
  });
});
