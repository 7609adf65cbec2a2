import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLY_VERSION_FENCE, APPLY_VERSION_HISTORY, KvStateMachine, type KvOperation } from '../src/index.js';
import type { Entry } from '../src/raft-types.js';
import { bytes, commandEntry, makeTempDir, text } from './helpers.js';

const keys = ['a', 'b', 'c'];

const operationArbitrary: fc.Arbitrary<KvOperation> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: fc.constantFrom(...keys).map(bytes), value: fc.string({ maxLength: 4 }).map(bytes) }),
  // Leases: small limits, so that some grants and attachments are refused, and revokes of keys that moved.
  fc.record({
    type: fc.constant('put' as const),
    key: fc.constantFrom(...keys).map(bytes),
    value: fc.string({ maxLength: 4 }).map(bytes),
    lease: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ type: fc.constant('leaseGrant' as const), id: fc.nat({ max: 3 }), ttlMs: fc.constant(1000), leasesMax: fc.constant(2), keysMax: fc.constant(2) }),
  fc.record({ type: fc.constant('leaseRevoke' as const), id: fc.integer({ min: 1, max: 3 }), reason: fc.constantFrom('revoke' as const, 'expire' as const) }),
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
  // The key history's commands (apply version 4): a range delete with a limit some ranges pass, a compaction.
  fc.record({ type: fc.constant('deleteRange' as const), start: fc.constant(bytes('a')), end: fc.constant(bytes('c')), keysMax: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ type: fc.constant('compact' as const), revision: fc.integer({ min: 1, max: 12 }) }),
);

const commandArbitrary = fc.record({
  operation: operationArbitrary,
  clientId: fc.constantFrom('', 'x', 'y', 'z'),
  sequence: fc.integer({ min: 1, max: 4 }),
  advanceMs: fc.nat({ max: 800 }),
  // Small quotas, so that some writes are refused: keys are 1 byte, values up to 4.
  storeBytesMax: fc.option(fc.nat({ max: 12 }), { nil: undefined }),
  // Unstamped, first version, the quota's (2 on), the leases' (3 on), the key history's (4 on) or the fences' (7).
  applyVersion: fc.option(fc.constantFrom(1, 2, 3, APPLY_VERSION_HISTORY, APPLY_VERSION_FENCE), { nil: undefined }),
});

async function dump(sm: KvStateMachine): Promise<string> {
  const page = await sm.range({ start: Uint8Array.of(1), end: Uint8Array.of(0) });
  const kvs = page.kvs.map((kv) => `${text(kv.key)}=${text(kv.value)}@${kv.createRevision}/${kv.modRevision}/${kv.version}`);
  const held = page.kvs.reduce((sum, kv) => sum + kv.key.byteLength + kv.value.byteLength, 0);
  expect(sm.keyValueBytes).toBe(held);
  const leases = sm.leases().map((lease) => `${lease.id}:${lease.keys.map((key) => text(key)).join('+')}`);
  return `${sm.appliedIndex} r${sm.revision} s${sm.sessionCount()} b${sm.keyValueBytes} v${sm.clusterVersion} ${kvs.join(' ')} leases ${leases.join(' ')} hash ${JSON.stringify(sm.stateHash)}${await dumpHistory(sm)}`;
}

/** Every revision the history answers for, read back: replicas must answer alike. */
async function dumpHistory(sm: KvStateMachine): Promise<string> {
  const floor = sm.compactRevision;
  if (floor === undefined) return '';
  await sm.historyDropped();
  const revisions: string[] = [];
  for (let revision = Math.max(floor, 1); revision <= sm.revision; revision++) {
    const page = await sm.range({ start: Uint8Array.of(1), end: Uint8Array.of(0), revision });
    revisions.push(`${revision}:${page.kvs.map((kv) => `${text(kv.key)}=${text(kv.value)}`).join(',')}`);
  }
  const replayed = await sm.changesSince(Math.max(sm.watchFloorRevision ?? 1, 1), { changesMax: 1000, prevKv: true }).catch((error: Error) => ({ changes: [], error: error.name }));
  const changes = replayed.changes.map((change) => `${change.type}:${text(change.kv.key)}=${text(change.kv.value)}@${change.kv.modRevision}<${text(change.prevKv?.value)}`);
  return ` history from ${floor} [${revisions.join(' ')}] changes [${changes.join(' ')}]${'error' in replayed ? replayed.error : ''}`;
}

/** Replicas apply the same log in different batches and restart at different points: they must agree. */
describe('state machine determinism', () => {
  let root: { dir: string; remove: () => Promise<void> };
  beforeAll(async () => {
    root = await makeTempDir();
  });
  afterAll(async () => {
    await root.remove();
  });

  it('gives the same results, state and quota decisions whatever the batching, restarts and cache', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(commandArbitrary, { minLength: 1, maxLength: 25 }), fc.nat(), async (commands, cutSeed) => {
        let clock = 0;
        const entries: Entry[] = commands.map((command, position) => {
          clock += command.advanceMs;
          return commandEntry({
            index: position + 1,
            operation: command.operation,
            session: { clientId: command.clientId, sequence: command.sequence },
            proposedAtMs: clock,
            ...(command.storeBytesMax === undefined ? {} : { storeBytesMax: command.storeBytesMax }),
            ...(command.applyVersion === undefined ? {} : { applyVersion: command.applyVersion }),
          });
        });
        const options = { sessions: { sessionsMax: 2, sessionIdleMsMax: 1_000, answersPerSessionMax: 2 } };
        const one = await KvStateMachine.open({ dir: `${root.dir}/${run}-one`, ...options });
        const single = await one.apply(entries);
        const cut = cutSeed % (entries.length + 1);
        // The second replica also runs without the key meta cache: sizes then come from LevelDB.
        const uncached = { ...options, keyMetaCacheBytesMax: 0 };
        let two = await KvStateMachine.open({ dir: `${root.dir}/${run}-two`, ...uncached });
        const batched = [];
        for (const entry of entries.slice(0, cut)) batched.push(...(await two.apply([entry])));
        await two.close();
        two = await KvStateMachine.open({ dir: `${root.dir}/${run}-two`, ...uncached });
        batched.push(...(await two.apply(entries.slice(cut))));
        // The third applies entry by entry with the key meta cache.
        const three = await KvStateMachine.open({ dir: `${root.dir}/${run}-three`, ...options });
        const alone = [];
        for (const entry of entries) alone.push(...(await three.apply([entry])));
        run++;
        try {
          expect(JSON.stringify(batched)).toBe(JSON.stringify(single));
          expect(JSON.stringify(alone)).toBe(JSON.stringify(single));
          const expected = await dump(one);
          expect(await dump(two)).toBe(expected);
          expect(await dump(three)).toBe(expected);
        } finally {
          await one.close();
          await two.close();
          await three.close();
        }
      }),
      { numRuns: 40, seed: 424242 },
    );
  });
});
