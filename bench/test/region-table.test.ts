import { Prng } from '@holdfast/raft';
import { describe, expect, it } from 'vitest';
import { type BenchOperation, BenchHistory, MonotonicClock } from '../src/history.js';
import { ProxyNetwork } from '../src/proxy.js';
import { applyRegions, clientDialerOf, REGION_PRESETS } from '../src/regions.js';
import { renderRegionTable } from '../src/report.js';
import { computeFigures, regionLatencyTable } from '../src/stats.js';
import type { ClusterTarget, ErrorCertainty, KvAdapter, KvValue } from '../src/target.js';
import { checkBoundedStaleness } from '../src/staleness-check.js';
import { judgeLinearizability } from '../src/verdict.js';
import { DEFAULT_WORKLOAD, Workload, type WorkloadOptions } from '../src/workload.js';
import { absent, MemoryStore, memoryKv } from './memory-kv.js';

let nextId = 0;

function operation(options: {
  region: string | undefined;
  kind: 'put' | 'get' | 'cas';
  latencyMs: number;
  outcome?: 'ok' | 'failed';
  serializable?: boolean;
}): BenchOperation {
  const invokedAt = 1000 + nextId;
  const input = options.kind === 'get' ? { kind: 'get' as const } : options.kind === 'put' ? { kind: 'put' as const, value: `v${nextId}` } : { kind: 'cas' as const, expected: null, value: `v${nextId}` };
  return {
    id: nextId++,
    clientId: 1,
    key: 'k',
    input,
    outcome: options.outcome ?? 'ok',
    invokedAt,
    returnedAt: invokedAt + options.latencyMs,
    completedAt: invokedAt + options.latencyMs,
    ...(options.region === undefined ? {} : { clientRegion: options.region }),
    ...(options.serializable === true ? { consistency: 'serializable' as const } : {}),
  };
}

/** A target that only makes clients (all a workload asks of it). */
function clientsOnlyTarget(createKv: (options: { region?: string }) => KvAdapter): ClusterTarget {
  return {
    kind: 'holdfast',
    createKv,
    classifyError: (_error: unknown, options: { write: boolean }): ErrorCertainty => (options.write ? 'unknown' : 'failed'),
  } as unknown as ClusterTarget;
}

/** Runs `workload` against `target` until the history holds `operationsMax` operations. */
/** A clock that moves 1 ms each time it is read, so that a run's timing does not depend on the machine. */
class SteppingClock extends MonotonicClock {
  private readMs = 0;

  override nowMs(): number {
    this.readMs += 1;
    return this.readMs;
  }
}

async function runWorkload(options: {
  target: ClusterTarget;
  workload: Partial<WorkloadOptions>;
  operationsMax: number;
  seed: number;
  clock?: MonotonicClock;
}): Promise<readonly BenchOperation[]> {
  const history = new BenchHistory({ clock: options.clock ?? new MonotonicClock(), operationsMax: options.operationsMax });
  const workload = new Workload({ workload: { ...DEFAULT_WORKLOAD, ...options.workload }, history, target: options.target, prng: new Prng(options.seed) });
  workload.start();
  await workload.finished();
  await workload.stop();
  return history.all();
}

describe('the per-client-region latency table', () => {
  it('groups operations by client region and kind, in the order of the regions, counting failures but timing only successes', () => {
    const operations = [
      operation({ region: 'eu-west', kind: 'get', latencyMs: 2, serializable: true }),
      operation({ region: 'eu-west', kind: 'get', latencyMs: 4, serializable: true }),
      operation({ region: 'eu-west', kind: 'put', latencyMs: 90 }),
      operation({ region: 'us-east', kind: 'put', latencyMs: 10 }),
      operation({ region: 'us-east', kind: 'put', latencyMs: 500, outcome: 'failed' }),
      operation({ region: 'us-east', kind: 'get', latencyMs: 6 }),
      operation({ region: undefined, kind: 'put', latencyMs: 1 }),
    ];
    const rows = regionLatencyTable({ operations, regions: ['us-east', 'us-west', 'eu-west'], durationS: 2, readMode: 'read-index' });
    expect(rows.map((r) => `${r.region} ${r.kind} ${r.count}/${r.ok}`)).toEqual([
      'us-east put 2/1',
      'us-east get read-index 1/1',
      'eu-west put 1/1',
      'eu-west get serializable 2/2',
    ]);
    const usEastPut = rows[0];
    expect(usEastPut?.p50Ms).toBeCloseTo(10, 1);
    expect(usEastPut?.p99Ms).toBeCloseTo(10, 1);
    expect(usEastPut?.okPerS).toBeCloseTo(0.5, 5);
    const euReads = rows[3];
    expect(euReads?.p50Ms).toBeCloseTo(2, 1);
    expect(euReads?.p99Ms).toBeCloseTo(4, 1);
  });

  it('names linearizable reads after the read mode', () => {
    const operations = [operation({ region: 'us-east', kind: 'get', latencyMs: 1 }), operation({ region: 'us-east', kind: 'cas', latencyMs: 3 })];
    const rows = regionLatencyTable({ operations, regions: ['us-east'], durationS: 1, readMode: 'lease' });
    expect(rows.map((r) => r.kind)).toEqual(['cas', 'get lease']);
    const lines = renderRegionTable(rows);
    expect(lines[0]).toBe('| client region | operation | ops | ok/s | p50 ms | p99 ms |');
    expect(lines[3]).toBe('| us-east | get lease | 1 | 1.0 | 1.00 | 1.00 |');
  });
});

describe('clients in every region', () => {
  it('gives each region its own delays to every member', async () => {
    const network = new ProxyNetwork({ prng: new Prng(1) });
    const layout = REGION_PRESETS['three-regions']!;
    applyRegions({ network, layout });
    // n1, n4 in us-east; n2, n5 in us-west; n3 in eu-west.
    expect(network.controlsFor(clientDialerOf('eu-west'), 'n3').latencyMs).toBe(0);
    expect(network.controlsFor(clientDialerOf('eu-west'), 'n1').latencyMs).toBe(40);
    expect(network.controlsFor('n5', clientDialerOf('eu-west')).latencyMs).toBe(80);
    expect(network.controlsFor(clientDialerOf('us-west'), 'n4').latencyMs).toBe(30);
    expect(network.controlsFor('client', 'n1').latencyMs).toBe(0);
    expect(network.controlsFor('client', 'n3').latencyMs).toBe(40);
    await network.close();
  });

  it('spreads workers over the regions, tags their operations, and keeps serializable reads out of the check', async () => {
    const store = new MemoryStore();
    const regionsAsked: (string | undefined)[] = [];
    const target = clientsOnlyTarget((options) => {
      regionsAsked.push(options.region);
      // A member that never saw a write: every serializable read is stale (the key absent).
      return memoryKv(store, { getSerializable: async () => absent() });
    });
    const operations = await runWorkload({
      target,
      workload: { concurrency: 4, registerKeyCount: 2, serializableReadFraction: 0.5, clientRegions: ['a', 'b', 'c'] },
      operationsMax: 3000,
      seed: 7,
    });
    expect(regionsAsked).toEqual(['a', 'b', 'c', 'a']);
    expect(new Set(operations.map((op) => op.clientRegion))).toEqual(new Set(['a', 'b', 'c']));
    const serializable = operations.filter((op) => op.consistency === 'serializable');
    const linearizableReads = operations.filter((op) => op.input.kind === 'get' && op.consistency === undefined);
    expect(serializable.length).toBeGreaterThan(100);
    expect(linearizableReads.length).toBeGreaterThan(100);
    expect(judgeLinearizability({ operations, timeBudgetMsPerKey: 10_000 }).result?.linearizable).toBe(true);
    // The same stale reads, claimed linearizable, fail the check: the exclusion is what passes.
    const claimed = operations.map((op) => {
      const { consistency: _consistency, ...rest } = op;
      return rest;
    });
    expect(judgeLinearizability({ operations: claimed, timeBudgetMsPerKey: 10_000 }).result?.linearizable).toBe(false);
  });

  it('sends bounded-staleness reads with their bound, keeps them out of the linearizability check, checks the bound and shows their own row', async () => {
    const store = new MemoryStore();
    const bounds: number[] = [];
    let staleAnswers = false;
    // Up to date at first; then a member that missed every write (the key absent).
    const boundedRead = async (key: string, maxStalenessMs: number): Promise<KvValue> => {
      bounds.push(maxStalenessMs);
      return staleAnswers ? absent() : (store.data.get(key) ?? absent());
    };
    const target = clientsOnlyTarget(() => memoryKv(store, { getBounded: boundedRead }));
    const run = (): Promise<readonly BenchOperation[]> =>
      runWorkload({
        target,
        workload: { concurrency: 3, registerKeyCount: 1, serializableReadFraction: 0.25, boundedReadFraction: 0.25, maxStalenessMs: 1, clientRegions: ['a'] },
        operationsMax: 2000,
        seed: 3,
        clock: new SteppingClock(),
      });
    const fresh = await run();
    const bounded = fresh.filter((op) => op.consistency === 'bounded');
    expect(bounded.length).toBeGreaterThan(50);
    expect(bounded.every((op) => op.maxStalenessMs === 1)).toBe(true);
    expect(new Set(bounds)).toEqual(new Set([1]));
    expect(checkBoundedStaleness(fresh)).toMatchObject({ readsChecked: bounded.filter((op) => op.outcome === 'ok').length, violations: [] });
    const rows = regionLatencyTable({ operations: fresh, regions: ['a'], durationS: 1, readMode: 'read-index' });
    expect(rows.map((r) => r.kind)).toEqual(['put', 'cas', 'get read-index', 'get serializable', 'get bounded 1ms']);
    store.data.clear();
    staleAnswers = true;
    const stale = await run();
    // Reads of an absent key after writes to it were acknowledged (the stepping clock puts
    // every later read more than 1 ms after an acknowledgement): beyond the bound, while the linearizability check, which never sees
    // them, passes.
    expect(checkBoundedStaleness(stale).violations.length).toBeGreaterThan(0);
    expect(judgeLinearizability({ operations: stale, timeBudgetMsPerKey: 10_000 }).result?.linearizable).toBe(true);
  });
});

describe('the failover figure', () => {
  it('times the first acknowledged write after a fault, not a read a surviving member answered alone', () => {
    const window = { index: 0, kind: 'region-outage' as const, startMs: 1000, endMs: 5000, nodes: ['n1', 'n4'], detail: 'region us-east out' };
    const at = (invokedAt: number, latencyMs: number, kind: 'get' | 'put', serializable = false): BenchOperation => ({
      ...operation({ region: 'eu-west', kind, latencyMs, serializable }),
      invokedAt,
      returnedAt: invokedAt + latencyMs,
      completedAt: invokedAt + latencyMs,
    });
    const operations = [at(900, 5, 'put'), at(1001, 10, 'get', true), at(1002, 4000, 'put'), at(2000, 2500, 'put')];
    const figures = computeFigures({ operations, windows: [window], leaderSamples: [], workloadStartMs: 0, workloadEndMs: 10_000 });
    expect(figures.recoveries[0]?.firstSuccessMs).toBeCloseTo(11, 5);
    expect(figures.recoveries[0]?.firstWriteMs).toBeCloseTo(3500, 5);
  });
});
