/**
 * History retention (retention.ts): the leader compacts by revisions kept and by age on its own
 * clock, at most once per check interval, and never past what it samples.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningNode } from '../src/node.js';
import { HistoryRetention } from '../src/retention.js';
import { bytes, type CallError, call, closeClients, metricValue, startLoneNode, tempDir } from './helpers.js';

describe('HistoryRetention', () => {
  it('keeps the configured number of revisions, one compaction per check interval', async () => {
    const retention = new HistoryRetention({ revisions: 100, ageMs: 0, checkEveryMs: 5000 });
    expect(retention.due({ nowMs: 0, revision: 50, compactRevision: 0 })).toBeUndefined();
    expect(retention.due({ nowMs: 0, revision: 250, compactRevision: 0 })).toBe(150);
    const proposed: number[] = [];
    await retention.run(0, 150, async (revision) => {
      proposed.push(revision);
    });
    expect(proposed).toEqual([150]);
    expect(retention.due({ nowMs: 4999, revision: 400, compactRevision: 150 })).toBeUndefined();
    expect(retention.due({ nowMs: 5000, revision: 400, compactRevision: 150 })).toBe(300);
  });

  it('compacts by age to the newest revision seen at least that long ago, on its own samples', () => {
    const retention = new HistoryRetention({ revisions: 0, ageMs: 60_000, checkEveryMs: 1000 });
    expect(retention.due({ nowMs: 0, revision: 10, compactRevision: 0 })).toBeUndefined();
    expect(retention.due({ nowMs: 30_000, revision: 40, compactRevision: 0 })).toBeUndefined();
    expect(retention.due({ nowMs: 60_000, revision: 70, compactRevision: 0 })).toBe(10);
    expect(retention.due({ nowMs: 90_000, revision: 90, compactRevision: 10 })).toBe(40);
    // A new leader has no samples that old: nothing is due until it has watched for the whole age.
    retention.reset();
    expect(retention.due({ nowMs: 100_000, revision: 95, compactRevision: 40 })).toBeUndefined();
  });

  it('does nothing while the cluster keeps no history, or when off', () => {
    expect(new HistoryRetention({ revisions: 10, ageMs: 0, checkEveryMs: 1 }).due({ nowMs: 0, revision: 100, compactRevision: undefined })).toBeUndefined();
    expect(new HistoryRetention({ revisions: 0, ageMs: 0, checkEveryMs: 1 }).due({ nowMs: 0, revision: 100, compactRevision: 0 })).toBeUndefined();
  });
});

describe('retention on a running node', () => {
  const dir = tempDir('retention');
  let running: { node: RunningNode; address: string } | undefined;

  afterAll(async () => {
    await running?.node.stop();
    closeClients();
    dir.remove();
  });

  it('compacts the history to --history-retention-revisions behind, through the log, and shows it in metrics', async () => {
    running = await startLoneNode(dir.path, ['--history-retention-revisions', '10']);
    const { node, address } = running;
    let revision = 0;
    for (let i = 0; i < 40; i++) revision = (await call<{ revision: number }>(address, 'put', { key: bytes(`r/${i % 4}`), value: bytes(String(i)) })).revision;
    const deadline = Date.now() + 20_000;
    // The leader checks every 5 s; the first compaction may have come before the last put.
    const compacted = async (): Promise<number> => metricValue(await node.metricsText(), 'holdfast_history_compact_revision');
    while ((await compacted()) < revision - 10 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await compacted()).toBe(revision - 10);
    expect(metricValue(await node.metricsText(), 'holdfast_history_compactions_total{outcome="ok"}')).toBeGreaterThanOrEqual(1);
    const refused = (await call(address, 'get', { key: bytes('r/1'), revision: revision - 11 }).catch((error: unknown) => error)) as CallError;
    expect(refused.kind).toBe('compacted');
    expect(refused.code).toBe(grpc.status.OUT_OF_RANGE);
    const kept = await call<{ found: boolean; kv: { value: Buffer } }>(address, 'get', { key: bytes('r/3'), revision: revision - 10 });
    expect(kept.found).toBe(true);
  }, 60_000);
});
