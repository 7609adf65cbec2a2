import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatHash, KvStateMachine, type KvOperation, type StateCheckpoint, StateCorruptionError } from '../src/index.js';
import { metaKey, packr, prefixedKey, userKeyPrefix } from '../src/kv-format.js';
import type { Entry } from '../src/raft-types.js';
import { sealHeaderBytes, sealRecord } from '../src/state-record.js';
import { bytes, commandEntry, makeTempDir, stateMachineFixture, withRawDb } from './helpers.js';

const keys = ['a', 'b', 'c', 'd'];

const operationArbitrary: fc.Arbitrary<KvOperation> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: fc.constantFrom(...keys).map(bytes), value: fc.string({ maxLength: 6 }).map(bytes) }),
  fc.record({ type: fc.constant('delete' as const), key: fc.constantFrom(...keys).map(bytes) }),
  fc.record({
    type: fc.constant('txn' as const),
    compare: fc.array(
      fc.record({
        key: fc.constantFrom(...keys).map(bytes),
        target: fc.constantFrom('version' as const, 'modRevision' as const),
        operator: fc.constantFrom('equal' as const, 'greater' as const),
        number: fc.nat({ max: 5 }),
      }),
      { maxLength: 2 },
    ),
    success: fc.constant([{ type: 'put' as const, key: bytes('a'), value: bytes('t') }]),
    failure: fc.constant([{ type: 'delete' as const, key: bytes('b') }]),
  }),
);

const commandArbitrary = fc.record({
  operation: operationArbitrary,
  clientId: fc.constantFrom('', 'x', 'y', 'z'),
  sequence: fc.integer({ min: 1, max: 4 }),
  advanceMs: fc.nat({ max: 800 }),
});

function entriesOf(commands: readonly { operation: KvOperation; clientId: string; sequence: number; advanceMs: number }[]): Entry[] {
  let clock = 0;
  return commands.map((command, position) => {
    clock += command.advanceMs;
    return commandEntry({ index: position + 1, operation: command.operation, session: { clientId: command.clientId, sequence: command.sequence }, proposedAtMs: clock });
  });
}

const sessions = { sessionsMax: 2, sessionIdleMsMax: 1_000, answersPerSessionMax: 2 };
const K = 3;

function describeCheckpoints(list: readonly StateCheckpoint[]): string[] {
  return list.map((checkpoint) => `${checkpoint.index}:${formatHash(checkpoint.hash)}`);
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const all: Uint8Array[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

describe('the state hash', () => {
  let root: { dir: string; remove: () => Promise<void> };
  beforeAll(async () => {
    root = await makeTempDir();
  });
  afterAll(async () => {
    await root.remove();
  });

  it('is the same whatever the batching, restarts, key meta cache and snapshots, at every checkpoint', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(commandArbitrary, { minLength: 1, maxLength: 30 }), fc.nat(), fc.nat(), async (commands, cutSeed, snapSeed) => {
        const entries = entriesOf(commands);
        const base = `${root.dir}/${run++}`;
        const options = { sessions, stateHashCheckpointEntries: K, stateHashCheckpointsKept: 100 };
        // One replica: everything in one batch, with the cache.
        const one = await KvStateMachine.open({ dir: `${base}-one`, ...options });
        await one.apply(entries);
        // Another: one entry at a time up to a cut, without the cache, a restart, the rest in one batch.
        const cut = cutSeed % (entries.length + 1);
        const uncached = { ...options, keyMetaCacheBytesMax: 0 };
        let two = await KvStateMachine.open({ dir: `${base}-two`, ...uncached });
        for (const entry of entries.slice(0, cut)) await two.apply([entry]);
        const beforeRestart = describeCheckpoints(two.checkpoints());
        await two.close();
        two = await KvStateMachine.open({ dir: `${base}-two`, ...uncached });
        await two.apply(entries.slice(cut));
        // A third restores a snapshot of the first replica's state at some point, then applies the rest.
        const at = snapSeed % (entries.length + 1);
        const source = await KvStateMachine.open({ dir: `${base}-source`, ...options });
        await source.apply(entries.slice(0, at));
        const reader = await source.openSnapshotReader();
        const chunks = await collect(reader.chunks());
        await reader.close();
        await source.close();
        const three = await KvStateMachine.open({ dir: `${base}-three`, ...options });
        await three.restoreSnapshot((async function* () {
          yield* chunks;
        })());
        await three.apply(entries.slice(at));
        try {
          const expected = formatHash(one.stateHash.hash);
          expect(formatHash(two.stateHash.hash)).toBe(expected);
          expect(formatHash(three.stateHash.hash)).toBe(expected);
          // Checkpoints at the same indexes agree, whichever replica and batching took them.
          const byIndex = new Map(describeCheckpoints(one.checkpoints()).map((line) => [line.split(':')[0], line]));
          expect(describeCheckpoints(one.checkpoints()).map((line) => Number(line.split(':')[0]))).toEqual(
            Array.from({ length: Math.floor(entries.length / K) }, (_, i) => (i + 1) * K),
          );
          for (const line of [...beforeRestart, ...describeCheckpoints(two.checkpoints()), ...describeCheckpoints(three.checkpoints())]) {
            expect(line).toBe(byIndex.get(line.split(':')[0]));
          }
          // The stored hash is what a full read computes.
          expect((await two.scrub({ recordsPerSecondMax: 1e9 })).outcome).toBe('ok');
        } finally {
          await one.close();
          await two.close();
          await three.close();
        }
      }),
      { numRuns: 20, seed: 1010 },
    );
  });

  it('differs for states that differ in one value, one revision or one session', async () => {
    const put = (value: string): KvOperation => ({ type: 'put', key: bytes('a'), value: bytes(value) });
    const hashes = new Set<string>();
    for (const [name, entries] of Object.entries({
      base: [commandEntry({ index: 1, operation: put('1') }), commandEntry({ index: 2, operation: { type: 'delete', key: bytes('zz') } })],
      value: [commandEntry({ index: 1, operation: put('2') }), commandEntry({ index: 2, operation: { type: 'delete', key: bytes('zz') } })],
      revision: [commandEntry({ index: 1, operation: put('0') }), commandEntry({ index: 2, operation: put('1') })],
      session: [
        commandEntry({ index: 1, operation: put('1'), session: { clientId: 'c', sequence: 1 } }),
        commandEntry({ index: 2, operation: { type: 'delete', key: bytes('zz') } }),
      ],
    })) {
      const sm = await KvStateMachine.open({ dir: `${root.dir}/differs-${name}` });
      await sm.apply(entries);
      hashes.add(formatHash(sm.stateHash.hash));
      await sm.close();
    }
    expect(hashes.size).toBe(4);
  });
});

describe('the scrub', () => {
  const t = stateMachineFixture();
  const kvDir = (): string => `${t.dir}/kv`;
  const storedKey = (key: string): Uint8Array => prefixedKey(userKeyPrefix, bytes(key));

  async function fill(): Promise<void> {
    for (let i = 0; i < 50; i++) await t.run({ type: 'put', key: bytes(`k${i}`), value: bytes(`v${i}`) }, { session: { clientId: `c${i % 3}`, sequence: Math.floor(i / 3) + 1 } });
    await t.sm.close();
  }

  it('passes a sound state, paced', async () => {
    await fill();
    await t.reopen();
    await t.sm.apply(Array.from({ length: 300 }, (_, i) => commandEntry({ index: t.takeIndex(), operation: { type: 'put', key: bytes(`m${i}`), value: bytes('x') } })));
    const slept: number[] = [];
    let now = 0;
    const result = await t.sm.scrub({
      recordsPerSecondMax: 100,
      clock: {
        nowMs: () => now,
        sleep: async (ms) => {
          slept.push(ms);
          now += ms;
        },
      },
    });
    expect(result).toEqual({ outcome: 'ok', records: 353, appliedIndex: 350 });
    expect(slept).toEqual([2560]);
  });

  it('finds a lost record, which no read can see', async () => {
    await fill();
    await withRawDb(kvDir(), (db) => db.del(storedKey('k7')));
    await t.reopen();
    expect(await t.sm.get(bytes('k7'))).toBeUndefined();
    const error = await t.sm.scrub({ recordsPerSecondMax: 1e9 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateCorruptionError);
    expect((error as Error).message).toMatch(/applied index 50 .*lost, added or replaced/);
  });

  it('finds a record replaced by an older one of the same key, sealed correctly', async () => {
    await fill();
    await withRawDb(kvDir(), async (db) => {
      const current = (await db.get(storedKey('k3')))!;
      const older = packr.unpack(current.subarray(sealHeaderBytes)) as Record<string, unknown>;
      await db.put(storedKey('k3'), sealRecord(storedKey('k3'), packr.pack({ ...older, value: bytes('stale'), modRevision: 2 })));
    });
    await t.reopen();
    await expect(t.sm.scrub({ recordsPerSecondMax: 1e9 })).rejects.toThrow(StateCorruptionError);
  });

  it('finds a flipped byte and a value swapped with another key, naming the record', async () => {
    await fill();
    await withRawDb(kvDir(), async (db) => {
      const [a, b] = await db.getMany([storedKey('k1'), storedKey('k2')]);
      await db.batch([
        { type: 'put', key: storedKey('k1'), value: b! },
        { type: 'put', key: storedKey('k2'), value: a! },
      ]);
    });
    await t.reopen();
    await expect(t.sm.scrub({ recordsPerSecondMax: 1e9 })).rejects.toThrow(/key "k1"/);
  });

  it('a state written before the hash existed gets it computed at open', async () => {
    await fill();
    await t.reopen();
    const hash = formatHash(t.sm.stateHash.hash);
    await t.sm.close();
    await withRawDb(kvDir(), async (db) => {
      const meta = packr.unpack((await db.get(metaKey))!.subarray(sealHeaderBytes)) as Record<string, unknown>;
      delete meta['recordsHash'];
      await db.put(metaKey, sealRecord(metaKey, packr.pack(meta)));
    });
    await t.reopen();
    expect(formatHash(t.sm.stateHash.hash)).toBe(hash);
  });

  it('a hash stored by another version of the hash function is recomputed at open, not compared', async () => {
    await fill();
    await t.reopen();
    const hash = formatHash(t.sm.stateHash.hash);
    await t.sm.close();
    await withRawDb(kvDir(), async (db) => {
      const meta = packr.unpack((await db.get(metaKey))!.subarray(sealHeaderBytes)) as Record<string, unknown>;
      await db.put(metaKey, sealRecord(metaKey, packr.pack({ ...meta, recordsHash: { high: 1, low: 2 }, recordsHashVersion: 1 })));
    });
    await t.reopen();
    expect(formatHash(t.sm.stateHash.hash)).toBe(hash);
    expect((await t.sm.scrub({ recordsPerSecondMax: 1e9 })).outcome).toBe('ok');
  });

  it('a restore refuses a snapshot whose records do not hash to what its sender says', async () => {
    await fill();
    await withRawDb(kvDir(), (db) => db.del(storedKey('k9')));
    await t.reopen();
    const reader = await t.sm.openSnapshotReader();
    const chunks = await collect(reader.chunks());
    await reader.close();
    const target = await KvStateMachine.open({ dir: `${t.dir}/target` });
    try {
      await expect(
        target.restoreSnapshot((async function* () {
          yield* chunks;
        })()),
      ).rejects.toThrow(/a record missing or extra at the sender/);
      expect(target.appliedIndex).toBe(0);
    } finally {
      await target.close();
    }
  });
});
