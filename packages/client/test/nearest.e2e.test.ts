// End to end against five real node processes in three regions (needs packages/server built).
/**
 * Nearest reads: the client reaches each member through a proxy that delays what it forwards
 * (eu-west's member near, the others far). Serializable and bounded-staleness reads go to the
 * nearest member; once it dies, the first read that tries it moves on by distance, and later
 * reads skip it (it is remembered as failed) instead of paying an attempt there each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HoldfastClient } from '../src/index.js';

/** A TCP proxy to `target` that holds every chunk `delayMs` each way. */
async function delayProxy(target: string, delayMs: number): Promise<{ address: string; connections: () => number; close: () => Promise<void> }> {
  const [host, port] = target.split(':') as [string, string];
  const sockets = new Set<Socket>();
  let connections = 0;
  const pipe = (from: Socket, to: Socket): void => {
    from.on('data', (chunk) => setTimeout(() => to.destroyed || to.write(chunk), delayMs));
    from.on('close', () => setTimeout(() => to.destroy(), delayMs));
    from.on('error', () => to.destroy());
  };
  const server: Server = createServer((client) => {
    connections += 1;
    const upstream = connect(Number(port), host);
    for (const socket of [client, upstream]) sockets.add(socket);
    pipe(client, upstream);
    pipe(upstream, client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const listening = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    address: `127.0.0.1:${listening}`,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

describe('nearest reads across three regions', () => {
  let dataDir: string;
  let cluster: LocalCluster | undefined;
  let client: HoldfastClient | undefined;
  const proxies: Awaited<ReturnType<typeof delayProxy>>[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'holdfast-nearest-e2e-'));
    cluster = await LocalCluster.start({ dataDir, size: 5, regions: ['us-east', 'us-west', 'eu-west'], logLevel: 'warn' });
    await cluster.waitForLeader(20_000);
    // Member 3 (eu-west) is near; the others 120 ms away each way (far beyond a loaded machine's noise).
    for (const member of cluster.members) proxies.push(await delayProxy(member.clientAddress, member.id === 3 ? 0 : 120));
    client = createClient({
      endpoints: proxies.map((p) => p.address),
      deadlineMs: 30_000,
      region: 'eu-west',
      // One round of probes at the first read; none after, so the counts below are the reads'.
      rttProbeIntervalMs: 600_000,
    });
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await Promise.all(proxies.map((p) => p.close()));
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('reads from the nearest member, and after it dies reads on from the next without trying it for every read', async () => {
    const c = client!;
    await c.put('near/k', 'v1');
    // The first serializable read starts the probes; wait until they have measured every endpoint.
    await c.get('near/k', { consistency: 'serializable' });
    for (let i = 0; i < 100 && (await c.status()).members.length < 5; i += 1) await new Promise((r) => setTimeout(r, 50));
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (let i = 0; i < 10; i += 1) {
      const answer = await c.get('near/k', { consistency: 'serializable' });
      expect(answer?.valueString()).toBe('v1');
    }
    // Once the probes have ranked member 3 first (a loaded machine may fail a probe and hold it
    // back a moment), bounded reads go there and answer with its header.
    const distances = (c as unknown as { distances: { order(): string[]; failuresOf(address: string): number } }).distances;
    const near = proxies[2]!.address;
    for (let i = 0; i < 200 && distances.order()[0] !== near; i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(distances.order()[0]).toBe(near);
    const bounded = await c.range({ prefix: 'near/' }, { maxStalenessMs: 60_000 });
    expect(bounded.header.memberId).toBe(3);

    await cluster!.kill(3);
    const dead = near;
    const servedBy = new Set<number>();
    for (let i = 0; i < 20; i += 1) {
      const answer = await c.range({ prefix: 'near/' }, { maxStalenessMs: 60_000 });
      servedBy.add(answer.header.memberId);
      expect(answer.kvs[0]?.valueString()).toBe('v1');
    }
    expect(servedBy.has(3)).toBe(false);
    // Each failure is one read that went there first; the hold doubles after each (1, 2, 4, 8 s
    // ...), so 20 reads (each at most an attempt timeout of 2 s) cost a handful at most, not 20.
    const wasted = distances.failuresOf(dead);
    expect(wasted).toBeGreaterThan(0);
    expect(wasted).toBeLessThan(8);
  }, 60_000);
});
