import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfigError, KvStateMachine, type KvOperation, type TxnOp } from '../src/index.js';
import { KeyMetaCache, keyMetaCacheOverheadBytes } from '../src/key-meta-cache.js';
import type { Entry } from '../src/raft-types.js';
import { bytes, commandEntry, makeTempDir, text } from './helpers.js';

const meta = (version: number) => ({ createRevision: 1, modRevision: version, version, valueBytes: 3, seal: { crc: version, bytes: 8, mix: version } });

describe('KeyMetaCache', () => {
  it('drops the least recently used keys past its byte bound', () => {
    const cache = new KeyMetaCache(3 * (1 + keyMetaCacheOverheadBytes));
    cache.remember('a', meta(1));
    cache.remember('b', meta(1));
    cache.remember('c', null);
    expect(cache.lookup('a')).toEqual(meta(1)); // a is now the most recently used
    cache.remember('d', meta(2));
    expect(cache.size).toBe(3);
    expect(cache.lookup('b')).toBeUndefined();
    expect(cache.lookup('c')).toBeNull();
    expect(cache.lookup('a')).toEqual(meta(1));
    expect(cache.bytesUsed).toBe(3 * (1 + keyMetaCacheOverheadBytes));
  });

  it('drops keys in least recently used order across many uses, as a list kept in use order does', () => {
    const keyCount = 12;
    const slots = 5;
    fc.assert(
      fc.property(fc.array(fc.record({ remember: fc.boolean(), key: fc.nat(keyCount - 1) }), { maxLength: 300 }), (uses) => {
        const cache = new KeyMetaCache(slots * (3 + keyMetaCacheOverheadBytes));
        let model: string[] = [];
        for (const [position, use] of uses.entries()) {
          const id = `k${String(use.key).padStart(2, '0')}`;
          if (use.remember) {
            cache.remember(id, meta(position + 1));
            model = [...model.filter((k) => k !== id), id].slice(-slots);
          } else if (cache.lookup(id) !== undefined) {
            model = [...model.filter((k) => k !== id), id];
          }
          expect(new Set(Array.from({ length: keyCount }, (_, k) => `k${String(k).padStart(2, '0')}`).filter((k) => cache.peek(k) !== undefined))).toEqual(new Set(model));
        }
      }),
    );
  });

  it('replaces a key in place without charging it twice', () => {
    const cache = new KeyMetaCache(10_000);
    cache.remember('key', meta(1));
    cache.remember('key', meta(2));
    cache.remember('key', null);
    expect(cache.size).toBe(1);
    expect(cache.bytesUsed).toBe(3 + keyMetaCacheOverheadBytes);
    expect(cache.lookup('key')).toBeNull();
  });

  it('keeps nothing with a bound of 0, and no key larger than the bound', () => {
    const off = new KeyMetaCache(0);
    off.markStoreEmpty();
    off.remember('a', meta(1));
    expect(off.lookup('a')).toBeUndefined();
    expect(off.isComplete).toBe(false);
    const small = new KeyMetaCache(keyMetaCacheOverheadBytes + 2);
    small.remember('abc', meta(1));
    expect(small.size).toBe(0);
  });

  it('answers absent for unknown keys only while it holds every stored key', () => {
    const cache = new KeyMetaCache(2 * (1 + keyMetaCacheOverheadBytes));
    cache.markStoreEmpty();
    expect(cache.lookup('x')).toBeNull();
    cache.remember('a', meta(1));
    cache.remember('b', meta(1));
    expect(cache.lookup('x')).toBeNull();
    cache.remember('c', meta(1)); // evicts a: a stored key is no longer known
    expect(cache.isComplete).toBe(false);
    expect(cache.lookup('a')).toBeUndefined();
    expect(cache.lookup('x')).toBeUndefined();
  });

  it('forgets completeness when cleared', () => {
    const cache = new KeyMetaCache(10_000);
    cache.markStoreEmpty();
    cache.remember('a', meta(1));
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.bytesUsed).toBe(0);
    expect(cache.lookup('a')).toBeUndefined();
  });
});

const keys = ['a', 'b', 'c', 'd'];
const keyArbitrary = fc.constantFrom(...keys).map(bytes);
const valueArbitrary = fc.string({ maxLength: 3 }).map(bytes);

const txnOpArbitrary: fc.Arbitrary<TxnOp> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: keyArbitrary, value: valueArbitrary, prevKv: fc.boolean() }),
  fc.record({ type: fc.constant('delete' as const), key: keyArbitrary, prevKv: fc.boolean() }),
  fc.record({ type: fc.constant('get' as const), key: keyArbitrary }),
);

/** A txn branch writes each key at most once (a structural rule); keep the first write of each key. */
function oneWritePerKey(ops: readonly TxnOp[]): TxnOp[] {
  const written = new Set<string>();
  return ops.filter((op) => {
    if (op.type === 'get') return true;
    const id = text(op.key) ?? '';
    if (written.has(id)) return false;
    written.add(id);
    return true;
  });
}

// Mostly puts, so that keys live long enough to build up versions the cache must track.
const operationArbitrary: fc.Arbitrary<KvOperation> = fc.oneof(
  { weight: 5, arbitrary: fc.record(
    {
      type: fc.constant('put' as const),
      key: keyArbitrary,
      value: valueArbitrary,
      prevKv: fc.boolean(),
      // Mostly unguarded, so that most writes land and keys build up versions.
      ifAbsent: fc.constantFrom(false, false, false, true),
      ifModRevision: fc.constantFrom(0, 0, 0, 0, 1, 2, 3, 4),
    },
    { requiredKeys: ['type', 'key', 'value'] },
  ) },
  fc.record(
    {
      type: fc.constant('delete' as const),
      key: keyArbitrary,
      prevKv: fc.boolean(),
      ifModRevision: fc.constantFrom(0, 0, 0, 0, 1, 2, 3, 4),
    },
    { requiredKeys: ['type', 'key'] },
  ),
  fc.record({
    type: fc.constant('txn' as const),
    compare: fc.array(
      fc.oneof(
        fc.record({
          key: keyArbitrary,
          target: fc.constantFrom('version' as const, 'modRevision' as const, 'createRevision' as const),
          operator: fc.constantFrom('equal' as const, 'greater' as const, 'less' as const),
          number: fc.nat({ max: 6 }),
        }),
        fc.record({
          key: keyArbitrary,
          target: fc.constant('value' as const),
          operator: fc.constantFrom('equal' as const, 'notEqual' as const),
          value: valueArbitrary,
        }),
      ),
      { maxLength: 2 },
    ),
    success: fc.array(txnOpArbitrary, { maxLength: 3 }).map(oneWritePerKey),
    failure: fc.array(txnOpArbitrary, { maxLength: 3 }).map(oneWritePerKey),
  }),
);

/** What a step of the schedule does after applying its batch. */
type Disturbance = 'none' | 'reopen' | 'restoreFromTwin';

const stepArbitrary = fc.record({
  operations: fc.array(fc.record({ operation: operationArbitrary, clientId: fc.constantFrom('', 'x', 'y') }), {
    minLength: 1,
    maxLength: 8,
  }),
  disturbance: fc.constantFrom<Disturbance>('none', 'none', 'none', 'reopen', 'restoreFromTwin'),
});

async function dump(sm: KvStateMachine): Promise<string> {
  const page = await sm.range({ start: Uint8Array.of(1), end: Uint8Array.of(0) });
  const kvs = page.kvs.map((kv) => `${text(kv.key)}=${text(kv.value)}@${kv.createRevision}/${kv.modRevision}/${kv.version}`);
  return `${sm.appliedIndex} r${sm.revision} s${sm.sessionCount()} ${kvs.join(' ')}`;
}

async function* streamOf(sm: KvStateMachine): AsyncGenerator<Uint8Array> {
  const reader = await sm.openSnapshotReader();
  try {
    yield* reader.chunks();
  } finally {
    await reader.close();
  }
}

/** One replica under test; `twin` is an uncached replica it may restore from. */
async function runSchedule(
  dir: string,
  schedule: { entriesByStep: Entry[][]; disturbances: Disturbance[]; keyMetaCacheBytesMax: number },
): Promise<{ results: string; state: string }> {
  const options = { keyMetaCacheBytesMax: schedule.keyMetaCacheBytesMax };
  let sm = await KvStateMachine.open({ dir: `${dir}/sm`, ...options });
  const twin = await KvStateMachine.open({ dir: `${dir}/twin`, keyMetaCacheBytesMax: 0 });
  const results: unknown[] = [];
  try {
    for (const [step, entries] of schedule.entriesByStep.entries()) {
      results.push(await sm.apply(entries));
      await twin.apply(entries);
      const disturbance = schedule.disturbances[step];
      if (disturbance === 'reopen') {
        await sm.close();
        sm = await KvStateMachine.open({ dir: `${dir}/sm`, ...options });
      } else if (disturbance === 'restoreFromTwin') {
        await sm.restoreSnapshot(streamOf(twin));
      }
    }
    return { results: JSON.stringify(results), state: await dump(sm) };
  } finally {
    await sm.close();
    await twin.close();
  }
}

describe('key meta cache in the state machine', () => {
  let root: { dir: string; remove: () => Promise<void> };
  beforeAll(async () => {
    root = await makeTempDir();
  });
  afterAll(async () => {
    await root.remove();
  });

  it('gives the same results and state with the cache off, tiny and large, across reopens and restores', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 8 }), async (steps) => {
        let index = 0;
        const sequences = new Map<string, number>();
        const entriesByStep = steps.map((step) =>
          step.operations.map(({ operation, clientId }) => {
            index++;
            const sequence = (sequences.get(clientId) ?? 0) + 1;
            sequences.set(clientId, sequence);
            return commandEntry({ index, operation, session: { clientId, sequence }, proposedAtMs: 1_000 + index });
          }),
        );
        const disturbances = steps.map((step) => step.disturbance);
        const runDir = `${root.dir}/${run++}`;
        // 0: every read goes to LevelDB; 250: about two keys fit, so eviction is constant; 1 MiB: all fit.
        const outcomes = [];
        for (const keyMetaCacheBytesMax of [0, 250, 1024 * 1024]) {
          outcomes.push(
            await runSchedule(`${runDir}/${keyMetaCacheBytesMax}`, { entriesByStep, disturbances, keyMetaCacheBytesMax }),
          );
        }
        expect(outcomes[1]).toEqual(outcomes[0]);
        expect(outcomes[2]).toEqual(outcomes[0]);
      }),
      { numRuns: 25, seed: 20261129 },
    );
  });

  it('forgets the keys it knew when a snapshot replaces the state', async () => {
    const { dir, remove } = await makeTempDir();
    const source = await KvStateMachine.open({ dir: `${dir}/source` });
    const target = await KvStateMachine.open({ dir: `${dir}/target` });
    try {
      // The source writes k twice and deletes gone; the target knows k at version 1 and gone as present.
      await source.apply([
        commandEntry({ index: 1, operation: { type: 'put', key: bytes('k'), value: bytes('1') } }),
        commandEntry({ index: 2, operation: { type: 'put', key: bytes('k'), value: bytes('2') } }),
        commandEntry({ index: 3, operation: { type: 'put', key: bytes('gone'), value: bytes('x') } }),
        commandEntry({ index: 4, operation: { type: 'delete', key: bytes('gone') } }),
      ]);
      await target.apply([
        commandEntry({ index: 1, operation: { type: 'put', key: bytes('k'), value: bytes('old') } }),
        commandEntry({ index: 2, operation: { type: 'put', key: bytes('gone'), value: bytes('old') } }),
      ]);
      await target.restoreSnapshot(streamOf(source));
      const next = [
        commandEntry({ index: 5, operation: { type: 'put', key: bytes('k'), value: bytes('3') } }),
        commandEntry({ index: 6, operation: { type: 'delete', key: bytes('gone') } }),
      ];
      const results = await target.apply(next);
      expect(results.map((result) => result.outcome)).toEqual([
        { type: 'put', revision: 5 },
        { type: 'delete', deleted: false, revision: 5 },
      ]);
      expect((await target.get(bytes('k')))?.version).toBe(3);
    } finally {
      await source.close();
      await target.close();
      await remove();
    }
  });

  it('refuses a negative or fractional cache bound', async () => {
    const { dir, remove } = await makeTempDir();
    try {
      await expect(KvStateMachine.open({ dir, keyMetaCacheBytesMax: -1 })).rejects.toThrow(InvalidConfigError);
      await expect(KvStateMachine.open({ dir, keyMetaCacheBytesMax: 1.5 })).rejects.toThrow(InvalidConfigError);
    } finally {
      await remove();
    }
  });
});
