/**
 * Failure 3 of issue 10, reproduced on real processes: bytes changed in the middle of a `kv/`
 * LevelDB table file of a stopped member. After its restart no read of any consistency returns
 * a wrong value from it; it answers `state-corrupt` (DATA_LOSS) instead, logs the damage, and
 * repairs itself from the others (restart in its process, state dropped, snapshot from the leader).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { StatusResponse__Output as StatusResponse } from '@holdfast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import { bytes, type CallError, call, closeClients, type GetAnswer, SessionWriter, tempDir } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const KEYS = 120;
const DAMAGED = 3;

/** Values of random hex: LevelDB's compression leaves them as they are, so they can be found in a table file. */
const values = new Map(Array.from({ length: KEYS }, (_, i) => [`key-${String(i).padStart(3, '0')}`, randomBytes(200).toString('hex')]));

/** The table files (.ldb) of a member's state machine, with their bytes. */
function tableFiles(dataDir: string): { path: string; data: Buffer }[] {
  const dir = join(dataDir, 'kv');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.ldb'))
    .map((name) => ({ path: join(dir, name), data: readFileSync(join(dir, name)) }));
}

/**
 * Flips bytes in the middle of stored values in the table files (not in the write-ahead log):
 * every 10th key whose value is found in a table has one byte changed halfway through its value.
 * Returns the keys damaged.
 */
function damageTables(dataDir: string): string[] {
  const damaged: string[] = [];
  for (const file of tableFiles(dataDir)) {
    let changed = false;
    for (const [index, [key, value]] of [...values].entries()) {
      if (index % 10 !== 0) continue;
      const at = file.data.indexOf(value);
      if (at < 0) continue;
      const middle = at + Math.floor(value.length / 2);
      file.data[middle] = file.data[middle] === 0x30 ? 0x31 : 0x30;
      damaged.push(key);
      changed = true;
    }
    if (changed) writeFileSync(file.path, file.data);
  }
  return damaged;
}

async function waitAnswering(cluster: LocalCluster, id: number): Promise<void> {
  for (let deadline = Date.now() + 20_000; ; await sleep(50)) {
    const answered = await cluster.status(id, 500).then(
      () => true,
      () => false,
    );
    if (answered) return;
    if (Date.now() > deadline) throw new Error(`member ${id} does not answer`);
  }
}

type Consistency = { readonly name: string; readonly request: object };
const consistencies: readonly Consistency[] = [
  { name: 'linearizable', request: { consistency: 'LINEARIZABLE' } },
  { name: 'serializable', request: { consistency: 'SERIALIZABLE' } },
  { name: 'bounded staleness', request: { maxStalenessMs: 60_000 } },
];

describe('a flipped byte in a state table file (failure 3)', () => {
  const dir = tempDir('state-corruption');
  let cluster: LocalCluster;
  let damagedKeys: string[] = [];

  beforeAll(async () => {
    cluster = await LocalCluster.start({ dataDir: dir.path, size: 3, logLevel: 'info' });
    await cluster.waitForLeader();
    const writer = new SessionWriter('filler', () => cluster.endpoints());
    for (const [key, value] of values) await writer.put(key, value);
    // Wait for member 3 to have applied every write, then make LevelDB move them from its
    // write-ahead log into a table file: a restart does (recovery writes the log out as a table).
    const target = (await cluster.status(1)).members.find((m) => m.member?.id === 1)?.commitIndex ?? 0;
    for (let deadline = Date.now() + 20_000; ; await sleep(50)) {
      const own = (await cluster.status(DAMAGED)).members.find((m) => m.member?.id === DAMAGED);
      if ((own?.appliedIndex ?? 0) >= target) break;
      if (Date.now() > deadline) throw new Error('member 3 did not catch up');
    }
    await cluster.restart(DAMAGED);
    await waitAnswering(cluster, DAMAGED);
    await cluster.kill(DAMAGED, 'SIGTERM');
    expect(tableFiles(cluster.member(DAMAGED).dataDir).some((file) => file.data.includes(values.get('key-000') ?? '-'))).toBe(true);
    damagedKeys = damageTables(cluster.member(DAMAGED).dataDir);
    cluster.startMember(DAMAGED);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    closeClients();
    dir.remove();
  });

  it('never returns a wrong value from the damaged member, whatever the consistency, and says it is damaged', { timeout: 120_000 }, async () => {
    expect(damagedKeys.length).toBeGreaterThan(0);
    const address = cluster.member(DAMAGED).clientAddress;
    const refusals: string[] = [];
    let served = 0;
    for (const consistency of consistencies) {
      for (const [key, value] of values) {
        const deadline = Date.now() + 15_000;
        for (;;) {
          try {
            const answer = await call<GetAnswer>(address, 'get', { key: bytes(key), ...consistency.request });
            // The one thing that must never happen: a value that was not written.
            expect(answer.found, `${consistency.name} read of ${key}`).toBe(true);
            expect(answer.kv?.value.toString(), `${consistency.name} read of ${key}`).toBe(value);
            served += 1;
            break;
          } catch (error) {
            const failure = error as CallError;
            if (failure.kind === 'state-corrupt') {
              expect(failure.code).toBe(grpc.status.DATA_LOSS);
              refusals.push(`${consistency.name} ${key}`);
              break;
            }
            // Not yet serving (restart, election): ask again.
            if (failure.code !== grpc.status.UNAVAILABLE || Date.now() > deadline) throw error;
            await sleep(50);
          }
        }
      }
    }
    // Every read was refused or served right. Refusals come before the repair; when the start's
    // scrub finds the damage first, the member may be repaired before the first read and refuse none.
    expect(refusals.length + served).toBe(KEYS * consistencies.length);

    // The damage made the member repair itself (restart in its process, state dropped, snapshot
    // from the leader): it ends up serving every key right, no longer refusing reads.
    for (let deadline = Date.now() + 30_000; ; await sleep(100)) {
      const status = await cluster.call<StatusResponse>(address, 'status', { localOnly: true }).catch(() => undefined);
      const own = status?.members.find((m) => m.member?.id === DAMAGED);
      if (own !== undefined && !own.repairing && !own.readsRefused) break;
      if (Date.now() > deadline) throw new Error(`member ${DAMAGED} was not repaired: ${JSON.stringify(own)}`);
    }
    for (const key of damagedKeys) {
      const answer = await call<GetAnswer>(address, 'get', { key: bytes(key) });
      expect(answer.kv?.value.toString(), `${key} on the repaired member`).toBe(values.get(key));
    }
    // The other members still serve every key.
    for (const key of damagedKeys) {
      const answer = await call<GetAnswer>(cluster.member(1).clientAddress, 'get', { key: bytes(key) });
      expect(answer.kv?.value.toString()).toBe(values.get(key));
    }
    const log = readFileSync(cluster.member(DAMAGED).logFile, 'utf8');
    expect(log).toMatch(/state record damaged; refusing reads/);
    expect(log).toMatch(/restarting in this process to repair this member/);
    expect(log).toMatch(/repair finished/);
  });
});
