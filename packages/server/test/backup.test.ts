/**
 * --restore-backup on a single node, in process: a backup file seeds an empty data dir as a new
 * one-member cluster; anything else is refused, naming the setting, before the node serves.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCommand, KvStateMachine } from '@holdfast/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseNodeConfig } from '../src/config.js';
import { startNode } from '../src/node.js';
import { bytes, closeClients, get, tempDir } from './helpers.js';

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

  it('seeds an empty data dir and serves the keys; a second start with the flag is refused', async () => {
    const dataDir = join(dir.path, 'seeded');
    const node = await startNode(configFor(dataDir));
    try {
      const deadline = Date.now() + 20_000;
      while (node.driver.role !== 'leader' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      const answer = await get(`127.0.0.1:${node.clientPort}`, 'k7');
      expect(answer.kv?.value.toString()).toBe('v7');
      expect(answer.kv?.modRevision).toBe(8);
    } finally {
      await node.stop();
    }
    const again = await refusalOf(() => startNode(configFor(dataDir)));
    expect(again.setting).toBe('restoreBackup');
    expect(again.message).toMatch(/seeds only an empty data dir/);
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
