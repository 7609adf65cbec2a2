/**
 * --restore-backup on a single node, in process: a backup file seeds an empty data dir as a new
 * one-member cluster; anything else is refused, naming the setting, before the node serves.
 */
import { EventEmitter } from 'node:events';
import { copyFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { encodeCommand, KvStateMachine, type SnapshotReader } from '@holdfast/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterService } from '../src/clusterService.js';
import { ConfigError, parseNodeConfig } from '../src/config.js';
import { NoLeaderError } from '../src/errors.js';
import { type RunningNode, startNode } from '../src/node.js';
import { bytes, call, closeClients, fakeClusterHost, get, tempDir } from './helpers.js';

const dir = tempDir('restore-backup');
const file = join(dir.path, 'store.backup');

function configFor(dataDir: string, extra: string[] = []) {
  return parseNodeConfig(
    [
      ...['--id', '1', '--data-dir', dataDir, '--client-listen', '127.0.0.1:0', '--peer-listen', '127.0.0.1:0'],
      ...['--log-level', 'silent', '--restore-backup', file, ...extra],
    ],
    {},
  );
}

async function refusalOf(work: () => Promise<unknown>): Promise<ConfigError> {
  try {
    await work();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('--restore-backup', () => {
  beforeAll(async () => {
    // A backup as a node's state machine streams it: 20 keys written through the log of another cluster.
    const source = await KvStateMachine.open({ dir: join(dir.path, 'source') });
    await source.apply(
      Array.from({ length: 20 }, (_, i) => ({
        type: 'normal' as const,
        index: i + 1,
        term: 3,
        data: encodeCommand({ operation: { type: 'put', key: bytes(`k${i}`), value: bytes(`v${i}`) }, proposedAtMs: 1 }),
      })),
    );
    const reader = await source.openSnapshotReader();
    const chunks: Uint8Array[] = [];
    for await (const chunk of reader.chunks()) chunks.push(chunk);
    await reader.close();
    await source.close();
    writeFileSync(file, Buffer.concat(chunks));
  });

  afterAll(() => {
    closeClients();
    dir.remove();
  });

  async function leading(node: RunningNode): Promise<string> {
    const deadline = Date.now() + 20_000;
    while (node.driver.role !== 'leader' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return `127.0.0.1:${node.clientPort}`;
  }

  it('seeds an empty data dir and serves the keys; restarted with the same flag it starts from its data', async () => {
    const dataDir = join(dir.path, 'seeded');
    const node = await startNode(configFor(dataDir));
    try {
      const address = await leading(node);
      const answer = await get(address, 'k7');
      expect(answer.kv?.value.toString()).toBe('v7');
      expect(answer.kv?.modRevision).toBe(8);
      await call(address, 'put', { key: bytes('k7'), value: bytes('after the restore') });
    } finally {
      await node.stop();
    }
    // The flag left on the command line: the seeded data dir is used as it is, not seeded again.
    const restarted = await startNode(configFor(dataDir));
    try {
      const answer = await get(await leading(restarted), 'k7');
      expect(answer.kv?.value.toString()).toBe('after the restore');
    } finally {
      await restarted.stop();
    }
  });

  it('refuses a backup on a data dir it did not seed (another file, or the file changed since)', async () => {
    const dataDir = join(dir.path, 'other');
    await (await startNode(configFor(dataDir))).stop();
    const otherFile = join(dir.path, 'other.backup');
    copyFileSync(file, otherFile);
    const another = await refusalOf(() => startNode(configFor(dataDir, ['--restore-backup', otherFile])));
    expect(another.setting).toBe('restoreBackup');
    expect(another.message).toMatch(/already holds a log or a state seeded from .*store\.backup.*seeds only an empty data dir/);
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    expect((await refusalOf(() => startNode(configFor(dataDir)))).message).toMatch(/seeds only an empty data dir/);
    // A data dir of an ordinary cluster was seeded by no backup.
    const plain = join(dir.path, 'plain');
    await (await startNode(parseNodeConfig(['--id', '1', '--data-dir', plain, '--client-listen', '127.0.0.1:0', '--peer-listen', '127.0.0.1:0', '--log-level', 'silent'], {}))).stop();
    const notSeeded = await refusalOf(() => startNode(configFor(plain)));
    expect(notSeeded.message).toMatch(/already holds a log or a state; a backup seeds only an empty data dir/);
  });

  it('refuses a join, several initial members or a missing file at parse time', () => {
    const data = join(dir.path, 'unused');
    expect(() => configFor(data, ['--join', '--initial-cluster', '2=b/r/127.0.0.1:1/127.0.0.1:2'])).toThrow(/one-member cluster/);
    expect(() =>
      configFor(data, ['--initial-cluster', '1=a/r/127.0.0.1:3/127.0.0.1:4,2=b/r/127.0.0.1:1/127.0.0.1:2']),
    ).toThrow(/one-member cluster/);
    expect(() =>
      parseNodeConfig(['--id', '1', '--data-dir', data, '--restore-backup', join(dir.path, 'missing.backup')], {}),
    ).toThrow(/no file/);
  });
});

describe('the Backup call', () => {
  /** A stand-in for grpc-js's server stream: records what is written, ends, or fails. */
  class FakeCall extends EventEmitter {
    cancelled = false;
    readonly written: object[] = [];
    ended = false;
    status: { code?: number; details?: string } | undefined;
    constructor() {
      super();
      this.on('error', (error: { code?: number; details?: string }) => {
        this.status = error;
      });
    }
    /** false: the client reads nothing more (write() says the buffer is full). */
    taking = true;
    write(message: object): boolean {
      this.written.push(message);
      return this.taking;
    }
    end(): void {
      this.ended = true;
    }
  }

  function serviceWith(openBackup: () => Promise<SnapshotReader>) {
    return new ClusterService(fakeClusterHost({
      driver: { role: 'leader' } as never,
      openBackup,
      storeBytesMax: 0,
    }));
  }

  async function settled(call: FakeCall): Promise<void> {
    for (let i = 0; i < 100 && !call.ended && call.status === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  it('streams the chunks with a header on the first, and refuses a backup past backupsMax while one streams', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let closed = 0;
    const reader = (wait: boolean): SnapshotReader => ({
      meta: { appliedIndex: 5, appliedTerm: 2, revision: 9, confState: { voters: [1], learners: [] }, members: [], memberIdMax: 1 },
      chunks: async function* () {
        yield Uint8Array.of(1);
        if (wait) await held;
        yield Uint8Array.of(2);
      },
      close: async () => {
        closed += 1;
      },
    });
    let next = true;
    const service = serviceWith(async () => {
      const first = next;
      next = false;
      return reader(first);
    });
    const backup = service.implementation()['Backup'] as unknown as (call: FakeCall) => void;
    const streaming = new FakeCall();
    backup(streaming);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const refused = new FakeCall();
    backup(refused);
    await settled(refused);
    expect(refused.status?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(refused.status?.details).toMatch(/1 backups are streaming \(limit 1\)/);
    release();
    await settled(streaming);
    expect(streaming.ended).toBe(true);
    expect(streaming.written).toEqual([
      { header: { clusterId: 'c', memberId: 1, term: 2, revision: 9 }, data: Uint8Array.of(1) },
      { data: Uint8Array.of(2) },
    ]);
    const after = new FakeCall();
    backup(after);
    await settled(after);
    expect(after.ended).toBe(true);
    expect(closed).toBe(2);
  });

  it('fails the call with the status of what went wrong, e.g. no leader for the read barrier', async () => {
    const service = serviceWith(async () => {
      throw new NoLeaderError();
    });
    const call = new FakeCall();
    (service.implementation()['Backup'] as unknown as (call: FakeCall) => void)(call);
    await settled(call);
    expect(call.status?.code).toBe(grpc.status.UNAVAILABLE);
    expect(call.ended).toBe(false);
  });

  it('lets go of the snapshot and the slot when the client leaves while the stream is full', async () => {
    let closed = 0;
    const service = serviceWith(async () => ({
      meta: { appliedIndex: 5, appliedTerm: 2, revision: 9, confState: { voters: [1], learners: [] }, members: [], memberIdMax: 1 },
      chunks: async function* () {
        for (let i = 0; i < 10; i++) yield Uint8Array.of(i);
      },
      close: async () => {
        closed += 1;
      },
    }));
    const backup = service.implementation()['Backup'] as unknown as (call: FakeCall) => void;
    const stuck = new FakeCall();
    stuck.taking = false;
    backup(stuck);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stuck.written).toHaveLength(1);
    stuck.cancelled = true;
    stuck.emit('cancelled');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(closed).toBe(1);
    const next = new FakeCall();
    backup(next);
    await settled(next);
    expect(next.ended).toBe(true);
    expect(next.written).toHaveLength(10);
  });
});
