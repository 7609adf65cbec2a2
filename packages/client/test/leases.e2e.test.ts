// Leases, locks and elections end to end: real node processes on loopback (needs packages/server
// and packages/client built), and a lock holder in a process of its own that is killed.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClient,
  type HoldfastClient,
  InvalidArgumentError,
  LeaseKeysExceededError,
  LeaseNotFoundError,
  fence,
  StaleFenceError,
} from '../src/index.js';

const clientDist = resolve(import.meta.dirname, '../dist/index.js');

/** Polls until `check` holds (each try is a linearizable read), or fails after `timeoutMs`. */
async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

describe('leases, locks and elections on a real cluster', () => {
  let root: string;
  let cluster: LocalCluster;
  let client: HoldfastClient;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'holdfast-lease-e2e-'));
    cluster = await LocalCluster.start({ dataDir: join(root, 'cluster'), size: 3, logLevel: 'warn', extraArgs: () => ['--lease-keys-max', '4'] });
    await cluster.waitForLeader(20_000);
    client = createClient({ endpoints: cluster.endpoints(), deadlineMs: 20_000 });
  }, 60_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    client?.close();
    await cluster?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('grants, lists, attaches keys, answers time to live, and deletes the keys on revoke', async () => {
    const lease = await client.lease.grant(30_000);
    await client.put('svc/a', 'addr-a', { lease: lease.id });
    await client.put('svc/b', 'addr-b', { lease: lease.id });
    expect((await client.get('svc/a'))?.lease).toBe(lease.id);
    expect((await client.lease.list()).map((l) => l.id)).toContain(lease.id);
    const ttl = await client.lease.timeToLive(lease.id, { keys: true });
    expect(ttl.ttlMs).toBe(30_000);
    // A leader that began to lead just before the grant counts the TTL from its election's end.
    expect(ttl.remainingMs).toBeGreaterThan(0);
    expect(ttl.remainingMs).toBeLessThan(2 * 30_000);
    expect(ttl.keys.map((key) => Buffer.from(key).toString()).sort()).toEqual(['svc/a', 'svc/b']);
    const watch = client.watch({ prefix: 'svc/' }, { startRevision: (await client.range({ prefix: 'svc/' })).header.revision + 1 });
    const revoked = await client.lease.revoke(lease.id);
    expect(revoked.keysDeleted).toBe(2);
    for await (const batch of watch) {
      expect(batch.events.map((event) => [event.type, event.kv.keyString(), event.kv.modRevision])).toEqual([
        ['delete', 'svc/a', revoked.revision],
        ['delete', 'svc/b', revoked.revision],
      ]);
      break;
    }
    watch.close();
    expect(await client.get('svc/a')).toBeUndefined();
    await expect(client.lease.keepAliveOnce(lease.id)).rejects.toBeInstanceOf(LeaseNotFoundError);
    await expect(client.put('svc/c', 'x', { lease: lease.id })).rejects.toBeInstanceOf(LeaseNotFoundError);
    await expect(client.lease.grant(10)).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('refuses a put past the keys a lease takes, writing nothing', async () => {
    const lease = await client.lease.grant(30_000);
    for (let i = 0; i < 4; i++) await client.put(`many/${i}`, 'v', { lease: lease.id });
    await expect(client.put('many/4', 'v', { lease: lease.id })).rejects.toBeInstanceOf(LeaseKeysExceededError);
    expect(await client.get('many/4')).toBeUndefined();
    await client.lease.revoke(lease.id);
  });

  it('a kept-alive lease outlives a leader change; an abandoned one expires after it', async () => {
    // The kept lease's TTL leaves room for an election on a loaded machine; the test then waits
    // past that TTL plus a new leader's extension, so only keepalives can have kept it.
    const kept = await client.lease.grant(6000);
    const abandoned = await client.lease.grant(2000);
    await client.put('outlive/kept', '1', { lease: kept.id });
    await client.put('outlive/abandoned', '1', { lease: abandoned.id });
    const keepAlive = await client.lease.keepAlive(kept.id, { ttlMs: kept.ttlMs });
    const leader = await cluster.waitForLeader();
    await cluster.kill(leader.id);
    const killedAtMs = Date.now();
    await eventually(async () => (await cluster.findLeader()) !== undefined, 20_000, 'a new leader');
    await eventually(async () => (await client.get('outlive/abandoned')) === undefined, 20_000, 'the abandoned lease expiring');
    const waitMs = killedAtMs + 6000 + 2000 + 1000 - Date.now();
    if (waitMs > 0) await sleep(waitMs);
    expect(keepAlive.isLost).toBe(false);
    expect((await client.get('outlive/kept'))?.valueString()).toBe('1');
    // The keepalives went over the client's keepalive stream.
    expect(client.keepAliveCounts.streamKeepAlives).toBeGreaterThan(0);
    keepAlive.close();
    await client.lease.revoke(kept.id);
    await cluster.restart(leader.id);
    await cluster.waitForLeader(20_000);
  }, 90_000);

  it('frees the lock of a killed holder after its TTL; the next holder has a larger token and the stale one is fenced off', async () => {
    const script = join(root, 'holder.mjs');
    writeFileSync(
      script,
      `import { createClient } from ${JSON.stringify(clientDist)};
const client = createClient({ endpoints: ${JSON.stringify(cluster.endpoints())}, deadlineMs: 20000 });
const holder = await client.lock('jobs/lock', { ttlMs: 1500 });
await client.put('jobs/register', 'first holder', { ifFenceAtLeast: holder.token });
process.stdout.write(JSON.stringify({ token: holder.token }) + '\\n');
setInterval(() => {}, 1000);
`,
    );
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const firstToken = await new Promise<number>((resolveToken, reject) => {
      child.stdout!.once('data', (data: Buffer) => resolveToken((JSON.parse(data.toString()) as { token: number }).token));
      child.once('exit', (code) => reject(new Error(`holder exited with ${code}`)));
    });
    child.kill('SIGKILL');
    const second = await client.lock('jobs/lock', { ttlMs: 5000 });
    try {
      expect(second.token).toBeGreaterThan(firstToken);
      await client.put('jobs/register', 'second holder', { ifFenceAtLeast: second.token });
      // The killed holder's token, had it woken up and written now, is refused.
      await expect(client.put('jobs/register', 'stale', { ifFenceAtLeast: firstToken })).rejects.toBeInstanceOf(StaleFenceError);
      await expect(client.put('jobs/register', 'stale', { ifFenceAtLeast: firstToken })).rejects.toMatchObject({ token: firstToken, highestToken: second.token });
      // The cluster checks the fence itself (apply version 7), in the record the txn convention uses: a stale txn is refused too.
      const staleTxn = await client.txn({ compare: [fence.compare('jobs/register', firstToken)], success: [fence.record('jobs/register', firstToken)] });
      expect(staleTxn.succeeded).toBe(false);
      expect((await client.get('jobs/register'))?.valueString()).toBe('second holder');
    } finally {
      await second.release();
    }
    const third = await client.lock('jobs/lock', { ttlMs: 5000 });
    expect(third.token).toBeGreaterThan(second.token);
    await third.release();
  }, 60_000);

  it('elects one leader at a time, hands over on resign, and observes the changes', async () => {
    const one = client.election('elect/main', { ttlMs: 5000 });
    const two = client.election('elect/main', { ttlMs: 5000 });
    await one.campaign('one');
    const seen: string[] = [];
    const abort = new AbortController();
    const observing = (async () => {
      for await (const leader of one.observe({ signal: abort.signal })) {
        seen.push(leader === undefined ? '-' : Buffer.from(leader.value).toString());
        if (seen.length === 3) abort.abort();
      }
    })().catch(() => undefined);
    await eventually(async () => seen.length >= 1, 10_000, 'the first leader observed');
    const twoLeads = two.campaign('two');
    await one.proclaim('one again');
    await eventually(async () => seen.length >= 2, 10_000, 'the proclaimed value observed');
    expect(Buffer.from((await one.leader())!.value).toString()).toBe('one again');
    await one.resign();
    await twoLeads;
    expect(Buffer.from((await two.leader())!.value).toString()).toBe('two');
    await eventually(async () => seen.length >= 3, 10_000, 'three leaders observed');
    expect(seen).toEqual(['one', 'one again', 'two']);
    await two.resign();
    abort.abort();
    await observing;
  }, 30_000);
});
