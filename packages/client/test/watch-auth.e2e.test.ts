// A watch opened while auth is off goes on, from the right revision, once auth is turned on: real
// node processes on loopback (needs packages/server built).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HoldfastClient } from '../src/index.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a watch while auth is turned on', () => {
  let dataDir: string;
  let cluster: LocalCluster;
  const clients: HoldfastClient[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'holdfast-watch-auth-e2e-'));
    cluster = await LocalCluster.start({ dataDir, size: 1, logLevel: 'warn' });
    await cluster.waitForLeader(20_000);
  }, 60_000);

  afterAll(async () => {
    for (const made of clients) made.close();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('logs in and goes on from the next revision, telling every change once', async () => {
    const client = createClient({ endpoints: cluster.endpoints(), deadlineMs: 20_000, credentials: { user: 'root', password: 'root-password' } });
    clients.push(client);
    await client.auth.roleAdd('root');
    await client.auth.userAdd('root', 'root-password');
    await client.auth.userGrantRole('root', 'root');
    const listens: number[] = [];
    const watch = client.watch({ prefix: 'w/' }, { onListening: ({ nextRevision }) => listens.push(nextRevision) });
    const seen: string[] = [];
    const ended = (async () => {
      for await (const batch of watch) for (const event of batch.events) seen.push(`${Buffer.from(event.kv.key).toString()}@${event.kv.modRevision}`);
    })().catch((error: unknown) => error);
    for (let i = 0; i < 100 && listens.length === 0; i++) await sleep(50);
    const first = await client.put('w/1', 'a');
    const second = await client.put('w/2', 'b');
    for (let i = 0; i < 200 && seen.length < 2; i++) await sleep(50);
    await client.auth.enable();
    const third = await client.put('w/3', 'c');
    for (let i = 0; i < 200 && seen.length < 3; i++) await sleep(50);
    watch.close();
    expect(await ended).toBeUndefined();
    expect(seen).toEqual([`w/1@${first.revision}`, `w/2@${second.revision}`, `w/3@${third.revision}`]);
    // Opened once before auth, once again with a token after the member ended it.
    expect(listens.length).toBe(2);
    expect(listens[1]).toBeGreaterThan(second.revision);
  }, 60_000);
});
