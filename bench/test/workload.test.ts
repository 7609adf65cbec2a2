import { Prng } from '@holdfast/raft';
import { describe, expect, it } from 'vitest';
import { BenchHistory, MonotonicClock } from '../src/history.js';
import type { ClusterTarget, ErrorCertainty } from '../src/target.js';
import { judgeLinearizability } from '../src/verdict.js';
import { DEFAULT_WORKLOAD, Workload, type WorkloadOptions } from '../src/workload.js';
import { MemoryStore, memoryKv } from './memory-kv.js';

function memoryTarget(store: MemoryStore): ClusterTarget {
  const unsupported = async (): Promise<never> => {
    throw new Error('not in the in-memory twin');
  };
  return {
    kind: 'holdfast',
    capabilities: { diskFaults: false, membership: false, transferLeadership: false, diskCorruption: false },
    nodeIds: () => ['n1'],
    logsDir: () => '',
    start: async () => {},
    stop: async () => {},
    createKv: () => memoryKv(store),
    classifyError: (_error, options): ErrorCertainty => (options.write ? 'unknown' : 'failed'),
    findLeader: async () => 'n1',
    isRunning: () => true,
    kill: unsupported,
    restart: unsupported,
    pause: unsupported,
    resume: unsupported,
    waitForExit: async () => false,
    wipeAndRejoin: unsupported,
    removeMember: unsupported,
    addMember: unsupported,
    transferLeadership: unsupported,
  };
}

async function runFor(options: { workload: WorkloadOptions; store: MemoryStore; operations: number }): Promise<BenchHistory> {
  const history = new BenchHistory({ clock: new MonotonicClock(), operationsMax: options.operations });
  const workload = new Workload({ workload: options.workload, history, target: memoryTarget(options.store), prng: new Prng(5) });
  workload.start();
  // The history's limit stops the workers.
  await workload.finished();
  await workload.stop();
  return history;
}

describe('workloads', () => {
  it('register: unique values, every outcome recorded, a linearizable history from a correct store', async () => {
    const history = await runFor({ workload: { ...DEFAULT_WORKLOAD, concurrency: 4 }, store: new MemoryStore(0), operations: 2000 });
    const operations = history.all();
    expect(operations.length).toBeGreaterThanOrEqual(2000);
    const values = operations.flatMap((o) => (o.input.kind === 'put' || o.input.kind === 'cas' ? [o.input.value] : []));
    expect(new Set(values).size).toBe(values.length);
    expect(new Set(operations.map((o) => o.input.kind))).toEqual(new Set(['get', 'put', 'cas']));
    expect(operations.every((o) => o.outcome === 'ok')).toBe(true);
    expect(judgeLinearizability({ operations, timeBudgetMsPerKey: 5000 }).result?.linearizable).toBe(true);
  });

  it('records a write whose call failed after applying as unknown, which keeps the history linearizable', async () => {
    const history = await runFor({ workload: { ...DEFAULT_WORKLOAD, concurrency: 3 }, store: new MemoryStore(7), operations: 1500 });
    const unknown = history.all().filter((o) => o.outcome === 'unknown');
    expect(unknown.length).toBeGreaterThan(10);
    expect(unknown.every((o) => o.input.kind !== 'get' && o.returnedAt === Number.POSITIVE_INFINITY)).toBe(true);
    expect(judgeLinearizability({ operations: history.all(), timeBudgetMsPerKey: 5000 }).result?.linearizable).toBe(true);
  });

  it('mixed: zipfian keys favour the first ranks and values have the requested size', async () => {
    const workload: WorkloadOptions = { ...DEFAULT_WORKLOAD, kind: 'mixed', keyDistribution: 'zipfian', valueBytes: 100, concurrency: 2 };
    const history = await runFor({ workload, store: new MemoryStore(0), operations: 3000 });
    const puts = history.all().filter((o) => o.input.kind === 'put');
    expect(puts.every((o) => o.input.kind === 'put' && o.input.value.length === 100)).toBe(true);
    const hottest = history.all().filter((o) => o.key === 'm/000000').length;
    expect(hottest).toBeGreaterThan(3000 / 50);
  });
});
