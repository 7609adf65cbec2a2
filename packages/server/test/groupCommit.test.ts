/**
 * Group commit, in process on a single node: writes that arrive while a log write is in flight
 * share the next synced write, so a burst of writes costs far fewer fsyncs than writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningNode } from '../src/node.js';
import { bytes, call, closeClients, get, metricValue, startLoneNode, tempDir } from './helpers.js';


describe('group commit on a single node', () => {
  const dir = tempDir('group-commit');
  let node: RunningNode;
  let address: string;

  beforeAll(async () => {
    ({ node, address } = await startLoneNode(dir.path));
  });

  afterAll(async () => {
    await node?.stop();
    closeClients();
    dir.remove();
  });

  it('serves a burst of 200 writes with fewer synced log writes and log entries than writes, acknowledging each once applied', async () => {
    const before = metricValue(await node.metricsText(), 'holdfast_entries_per_write_count');
    const appliedBefore = node.driver.appliedIndex;
    const writes = Array.from({ length: 200 }, (_, i) => call<{ revision: number }>(address, 'put', { key: bytes(`burst-${i}`), value: bytes(`v${i}`) }));
    const answers = await Promise.all(writes);
    const revisions = new Set(answers.map((a) => a.revision));
    expect(revisions.size).toBe(200);
    const syncedWrites = metricValue(await node.metricsText(), 'holdfast_entries_per_write_count') - before;
    expect(syncedWrites).toBeGreaterThan(0);
    expect(syncedWrites).toBeLessThan(200);
    // Writes proposed in one turn share a log entry, each answered from its own slot.
    const entries = node.driver.appliedIndex - appliedBefore;
    expect(entries).toBeGreaterThan(0);
    expect(entries).toBeLessThan(200);
    const metrics = await node.metricsText();
    expect(metricValue(metrics, 'holdfast_writes_per_entry_sum')).toBeGreaterThanOrEqual(200);
    expect(metricValue(metrics, 'holdfast_writes_per_entry_count')).toBeLessThan(metricValue(metrics, 'holdfast_writes_per_entry_sum'));
    for (const i of [0, 99, 199]) expect((await get(address, `burst-${i}`)).kv?.value.toString()).toBe(`v${i}`);
  });
});
