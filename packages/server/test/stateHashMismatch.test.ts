/**
 * Members compare their state hashes at the same applied index (issue 10, item 4). One member is
 * fed a different state while stopped — a value changed and sealed properly, its stored hash
 * recomputed, as a bug that applied a write differently would leave it: no checksum and no scrub
 * can see it. Once the cluster takes its next checkpoint, every member alarms, naming both members
 * and the index, and the member in the minority refuses every read while the others serve on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { StatusResponse__Output as StatusResponse } from '@holdfast/protocol';
import { levelDisk, sealHeaderBytes, sealRecord } from '@holdfast/storage';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import { bytes, type CallError, call, closeClients, type GetAnswer, metricValue, SessionWriter, tempDir } from './helpers.js';

/** The state machine's encoding of its records (packages/storage kv-format.ts). */
const packr = new Packr({ useRecords: false, moreTypes: false });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const DIVERGED = 3;
const CHECKPOINT_ENTRIES = 10;

/** Rewrites key `key` of a stopped member's state with another value, properly sealed, and drops the stored hash so open recomputes it. */
async function feedDifferentState(dataDir: string, key: string): Promise<void> {
  const { db } = await levelDisk.openDatabase(join(dataDir, 'kv'));
  try {
    const storedKey = Buffer.concat([Buffer.from('k'), Buffer.from(key)]);
    const record = await db.get(storedKey);
    if (record === undefined) throw new Error(`no key ${key} in ${dataDir}`);
    const stored = packr.unpack(record.subarray(sealHeaderBytes)) as Record<string, unknown>;
    await db.put(storedKey, sealRecord(storedKey, packr.pack({ ...stored, value: Buffer.from('diverged') })));
    const metaKey = Buffer.from('m');
    const meta = packr.unpack((await db.get(metaKey))!.subarray(sealHeaderBytes)) as Record<string, unknown>;
    delete meta['recordsHash'];
    await db.put(metaKey, sealRecord(metaKey, packr.pack(meta)));
  } finally {
    await db.close();
  }
}

async function ownStatus(cluster: LocalCluster, id: number) {
  const status = await cluster.call<StatusResponse>(cluster.member(id).clientAddress, 'status', { localOnly: true });
  return status.members.find((m) => m.member?.id === id);
}

describe('state hash comparison between members', () => {
  const dir = tempDir('state-hash');
  let cluster: LocalCluster;
  let writer: SessionWriter;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      dataDir: dir.path,
      size: 3,
      logLevel: 'info',
      extraArgs: () => ['--state-hash-checkpoint-entries', String(CHECKPOINT_ENTRIES)],
    });
    await cluster.waitForLeader();
    writer = new SessionWriter('hash-writer', () => cluster.endpoints());
    for (let i = 0; i < 15; i++) await writer.put(`k${i}`, `v${i}`);
    await cluster.kill(DIVERGED, 'SIGTERM');
    await feedDifferentState(cluster.member(DIVERGED).dataDir, 'k3');
    cluster.startMember(DIVERGED);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    closeClients();
    dir.remove();
  });

  it('shows the mismatch in status; the minority member stops serving reads and repairs itself', { timeout: 120_000 }, async () => {
    // Enough writes to pass at least two further checkpoints on every member.
    for (let i = 15; i < 15 + 3 * CHECKPOINT_ENTRIES; i++) await writer.put(`k${i}`, `v${i}`);
    // The member refuses reads only until it has repaired itself, which may take less than a
    // poll: its log is the record.
    const logOf = (): string => readFileSync(cluster.member(DIVERGED).logFile, 'utf8');
    const deadline = Date.now() + 30_000;
    while (!/state hash in the minority; refusing reads/.test(logOf())) {
      if (Date.now() > deadline) throw new Error(`member ${DIVERGED} never found itself in the minority`);
      await writer.put('tick', String(Date.now()));
      await sleep(100);
    }
    expect(logOf()).toMatch(/state hash mismatch at index \d+: member 3 has [0-9a-f]{16}, member [12] has [0-9a-f]{16}/);
    // The diverged member never serves its own version of k3: it refuses (state-corrupt) until it
    // has repaired itself (restart in its process, state dropped, snapshot from the leader), then
    // serves the majority's value, of every consistency.
    for (let wait = Date.now() + 30_000; ; await sleep(100)) {
      const own = await ownStatus(cluster, DIVERGED).catch(() => undefined);
      if (own !== undefined && !own.repairing && !own.readsRefused) break;
      if (Date.now() > wait) throw new Error(`member ${DIVERGED} was not repaired: ${JSON.stringify(own)}`);
      const answer = await call<GetAnswer>(cluster.member(DIVERGED).clientAddress, 'get', { key: bytes('k3'), consistency: 'SERIALIZABLE' }).catch(
        (e: unknown) => e as CallError,
      );
      if ('kv' in answer) expect(answer.kv?.value.toString()).toBe('v3');
      else if (answer.code === grpc.status.DATA_LOSS) expect(answer.kind).toBe('state-corrupt');
    }
    expect(readFileSync(cluster.member(DIVERGED).logFile, 'utf8')).toMatch(/repair finished/);
    for (const request of [{ consistency: 'LINEARIZABLE' }, { consistency: 'SERIALIZABLE' }, { maxStalenessMs: 60_000 }]) {
      // The channel may still be backing off from the restart: ask again while it is unavailable.
      for (let wait = Date.now() + 10_000; ; await sleep(100)) {
        const answer = await call<GetAnswer>(cluster.member(DIVERGED).clientAddress, 'get', { key: bytes('k3'), ...request }).catch((e: unknown) => e as CallError);
        if ('kv' in answer) {
          expect(answer.kv?.value.toString()).toBe('v3');
          break;
        }
        if (answer.code !== grpc.status.UNAVAILABLE || Date.now() > wait) throw answer;
      }
    }
    // The repair shows in `holdfast status`: the repaired member names it as its last repair
    // (its alarms ended with the process that found the damage, and a repaired member is
    // healthy). Which other members alarm depends on who led and relayed (a follower hears
    // another follower's checkpoints only through the leader, and the diverged member may find
    // itself in the minority from what it is sent at start, before its own hash reached anyone):
    // the majority go on serving either way.
    const repairedStatus = await ownStatus(cluster, DIVERGED);
    expect(repairedStatus?.lastRepair).toMatch(/in the minority of a state hash comparison/);
    expect(repairedStatus?.alarms).toEqual([]);
    const alarmed: number[] = [];
    for (const id of [1, 2]) {
      const own = await ownStatus(cluster, id);
      if (own?.alarms.some((alarm) => /state hash mismatch/.test(alarm))) alarmed.push(id);
    }
    for (const id of [1, 2]) {
      const own = await ownStatus(cluster, id);
      expect(own?.readsRefused).toBe(false);
      const answer = await call<GetAnswer>(cluster.member(id).clientAddress, 'get', { key: bytes('k3'), consistency: 'SERIALIZABLE' });
      expect(answer.kv?.value.toString()).toBe('v3');
      const metrics = await (await fetch(`http://${cluster.member(id).metricsAddress}/metrics`)).text();
      if (alarmed.includes(id)) expect(metricValue(metrics, 'holdfast_state_hash_mismatch')).toBe(1);
      expect(metricValue(metrics, 'holdfast_reads_refused')).toBe(0);
    }
  });

  it('once repaired it takes part again: it can lead, and answers with the majority state', async () => {
    // (While it refused reads it would have handed leadership over; the repair restarts it within
    // about a second, so that window is not tested here.)
    const leader = await cluster.waitForLeader();
    if (leader.id !== DIVERGED) {
      await cluster.call(leader.clientAddress, 'transferLeadership', { targetId: DIVERGED }, 10_000).catch(() => undefined);
    }
    for (let deadline = Date.now() + 20_000; (await cluster.findLeader())?.id !== DIVERGED; await sleep(100)) {
      if (Date.now() > deadline) throw new Error('leadership did not move to the repaired member');
    }
    await call(cluster.member(DIVERGED).clientAddress, 'put', { key: bytes('after'), value: bytes('repair') }, 5000);
    const answer = await call<GetAnswer>(cluster.member(DIVERGED).clientAddress, 'get', { key: bytes('k3') }, 5000);
    expect(answer.kv?.value.toString()).toBe('v3');
  });
});
