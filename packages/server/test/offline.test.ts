/**
 * The tools for a stopped member's data dir, in process: refused while a member runs on it (the
 * LevelDB lock), on a damaged state, on a directory that holds no member, and for another member's
 * data; a backup of a stopped member's files checks out like any backup; a recovered data dir
 * refuses a start under its old cluster id and leads alone under the new one.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, parseNodeConfig } from '../src/config.js';
import { nextClusterEpoch, readClusterIdentity } from '../src/cluster-identity.js';
import { startNode, inspectBackup } from '../src/node.js';
import {
  backupStoppedMember,
  DataDirDamagedError,
  DataDirInUseError,
  RecoveryRefusedError,
  recoverForceNewCluster,
} from '../src/offline.js';
import { bytes, call, closeClients, get, startLoneNode, tempDir } from './helpers.js';

const dir = tempDir('offline');

afterAll(() => {
  closeClients();
  dir.remove();
});

async function failureOf(work: () => Promise<unknown>): Promise<Error> {
  try {
    await work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('accepted');
}

async function writeKeys(address: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await call(address, 'put', { key: bytes(`k${i}`), value: bytes(`v${i}`) });
}

describe('a stopped member’s data dir', () => {
  it('is refused while a member runs on it, then backed up and recovered once it is stopped', async () => {
    const dataDir = join(dir.path, 'lone');
    const { node, address } = await startLoneNode(dataDir, ['--cluster-id', 'lone']);
    await writeKeys(address, 30);
    const inUse = await failureOf(() => backupStoppedMember({ dataDir, file: join(dir.path, 'in-use.backup') }));
    expect(inUse).toBeInstanceOf(DataDirInUseError);
    expect(inUse.message).toContain('is in use');
    expect(await failureOf(() => recoverForceNewCluster({ dataDir }))).toBeInstanceOf(DataDirInUseError);
    await node.stop();

    const file = join(dir.path, 'lone.backup');
    const saved = await backupStoppedMember({ dataDir, file });
    expect(saved.keys).toBe(30);
    expect((await inspectBackup(file)).keys).toBe(30);

    expect(await failureOf(() => recoverForceNewCluster({ dataDir, memberId: 2 }))).toBeInstanceOf(RecoveryRefusedError);
    const result = await recoverForceNewCluster({ dataDir });
    expect(result).toMatchObject({ memberId: 1, oldClusterId: 'lone', newClusterId: 'lone@2', removed: [] });
    expect(await readClusterIdentity(dataDir)).toMatchObject({ clusterId: 'lone@2', memberId: 1, recoveredFrom: { clusterId: 'lone' } });

    const config = (clusterId: string) =>
      parseNodeConfig(['--id', '1', '--data-dir', dataDir, '--client-listen', '127.0.0.1:0', '--peer-listen', '127.0.0.1:0', '--log-level', 'silent', '--cluster-id', clusterId], {});
    const refused = await failureOf(() => startNode(config('lone')));
    expect(refused).toBeInstanceOf(ConfigError);
    expect(refused.message).toContain('belongs to cluster lone@2');
    const again = await startLoneNode(dataDir, ['--cluster-id', 'lone@2']);
    try {
      expect((await get(again.address, 'k29')).kv?.value.toString()).toBe('v29');
    } finally {
      await again.node.stop();
    }
  });

  it('is refused when damaged or not a member’s', async () => {
    const dataDir = join(dir.path, 'damaged');
    const { node, address } = await startLoneNode(dataDir);
    await writeKeys(address, 5);
    await node.stop();
    // A record written behind the state machine's back: its seal does not hold.
    const kv = new ClassicLevel<Buffer, Buffer>(join(dataDir, 'kv'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const [key] = await kv.keys({ limit: 1, gte: Buffer.from('k') }).all();
    expect(key).toBeDefined();
    await kv.put(key as Buffer, Buffer.from('not a sealed record'));
    await kv.close();
    const damaged = await failureOf(() => backupStoppedMember({ dataDir, file: join(dir.path, 'damaged.backup') }));
    expect(damaged).toBeInstanceOf(DataDirDamagedError);
    expect(await failureOf(() => recoverForceNewCluster({ dataDir }))).toBeInstanceOf(DataDirDamagedError);

    const empty = join(dir.path, 'empty');
    mkdirSync(empty);
    const none = await failureOf(() => recoverForceNewCluster({ dataDir: empty, memberId: 1, clusterId: 'x' }));
    expect(none).toBeInstanceOf(DataDirDamagedError);
    expect(none.message).toContain("holds no member's data");
  });

  it('moves the cluster id to its next epoch', () => {
    expect(nextClusterEpoch('prod-kv')).toBe('prod-kv@2');
    expect(nextClusterEpoch('prod-kv@2')).toBe('prod-kv@3');
    expect(nextClusterEpoch('a@b')).toBe('a@b@2');
  });
});
