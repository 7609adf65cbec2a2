// Backup and restore end to end: real node processes on loopback (needs packages/server built).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HoldfastClient } from '../src/index.js';

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

describe('a backup of one cluster seeds a new one', () => {
  let root: string;
  const clusters: LocalCluster[] = [];
  const clients: HoldfastClient[] = [];
  const open = (cluster: LocalCluster, endpoints = cluster.endpoints()): HoldfastClient => {
    const client = createClient({ endpoints, deadlineMs: 30_000 });
    clients.push(client);
    return client;
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'holdfast-backup-e2e-'));
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    for (const cluster of clusters) await cluster.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('keeps every acknowledged write with its revisions; the new cluster grows by snapshot', async () => {
    const old = await LocalCluster.start({ dataDir: join(root, 'old'), size: 3, logLevel: 'warn' });
    clusters.push(old);
    await old.waitForLeader(20_000);
    const writer = open(old);
    for (let i = 0; i < 50; i += 1) await writer.put(`backup/${i}`, `value-${i}`);
    const twice = await writer.put('backup/0', 'second');
    await writer.delete('backup/1');

    // From a follower: it serves the backup after a read barrier, so nothing acknowledged is missing.
    const leaderId = (await old.waitForLeader()).id;
    const follower = old.members.find((m) => m.id !== leaderId)!;
    const backup = await open(old, [follower.clientAddress]).backup();
    expect(backup.memberId).toBe(follower.id);
    expect(backup.revision).toBe(twice.revision + 1);
    const file = join(root, 'store.backup');
    writeFileSync(file, await collect(backup.chunks));
    await old.stop();

    const seeded = await LocalCluster.start({
      dataDir: join(root, 'new'),
      size: 1,
      logLevel: 'warn',
      // Only the first member is seeded; members added later copy it by snapshot.
      extraArgs: (id) => (id === 1 ? ['--restore-backup', file] : []),
    });
    clusters.push(seeded);
    await seeded.waitForLeader(20_000);
    const reader = open(seeded);
    const first = await reader.get('backup/0');
    expect(first?.valueString()).toBe('second');
    expect(first?.modRevision).toBe(twice.revision);
    expect(first?.version).toBe(2);
    expect(await reader.get('backup/1')).toBeUndefined();
    expect((await reader.get('backup/49'))?.valueString()).toBe('value-49');
    // Revisions continue from the backup's.
    const next = await reader.put('backup/new', 'after restore');
    expect(next.revision).toBe(backup.revision + 1);

    // A member added now holds nothing; it must get the seeded keys by snapshot.
    const added = await seeded.addMember({ promote: true });
    const fromNew = open(seeded, [added.clientAddress]);
    const local = { consistency: 'serializable' } as const;
    const deadline = Date.now() + 20_000;
    while ((await fromNew.get('backup/new', local)) === undefined && Date.now() < deadline) await sleep(100);
    expect((await fromNew.get('backup/49', local))?.valueString()).toBe('value-49');
    expect((await fromNew.get('backup/0', local))?.modRevision).toBe(twice.revision);
    expect(await fromNew.get('backup/1', local)).toBeUndefined();
  });
});
