import { setImmediate as nextTurn } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { NodeMetrics } from '../src/metrics.js';

/** The engine's full collection, reached without starting the test process with --expose-gc. */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('NodeMetrics', () => {
  it("serves the node's metrics and the process's", async () => {
    const metrics = new NodeMetrics();
    metrics.term.set(7);
    const text = await metrics.text();
    expect(text).toMatch(/^holdfast_term 7$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    // A second node in the process serves its own values beside the same process metrics.
    const other = await new NodeMetrics().text();
    expect(other).toMatch(/^holdfast_term 0$/m);
    expect(other).toMatch(/^process_cpu_user_seconds_total /m);
  });

  it('is collected once nothing refers to it: the process metrics, whose monitors never stop, are made once per process', async () => {
    // Made per NodeMetrics, they held every member a process ever made (the simulator's seeds).
    const gc = collectGarbage();
    const made = ((): WeakRef<NodeMetrics>[] => Array.from({ length: 3 }, () => new WeakRef(new NodeMetrics())))();
    // A WeakRef keeps its target until the current job ends.
    await nextTurn();
    gc();
    expect(made.map((ref) => ref.deref() === undefined)).toEqual([true, true, true]);
  });
});
