// The lease, lock and elect commands against real node processes on loopback (needs the packages built).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient } from '@holdfast/client';
import type { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliCluster, type Run } from './helpers.js';

describe('holdfast lease, put --lease, lock and elect', () => {
  let fixture: CliCluster;
  let cluster: LocalCluster;
  let root: string;

  beforeAll(async () => {
    fixture = await CliCluster.start({ name: 'lease' });
    cluster = fixture.cluster;
    root = fixture.root;
  }, 60_000);

  afterAll(async () => {
    await fixture?.close();
  });

  const holdfast = (...argv: string[]): Promise<Run> => fixture.holdfast(...argv);

  it('grants, attaches, lists, answers ttl and revokes', async () => {
    const granted = await holdfast('--json', 'lease', 'grant', '30');
    expect(granted.code, granted.err).toBe(0);
    const { id } = JSON.parse(granted.out) as { id: number };
    expect((await holdfast('put', 'svc/web', '10.0.0.1', '--lease', String(id))).code).toBe(0);
    expect((await holdfast('lease', 'keepalive', String(id), '--once')).out).toBe(`lease ${id} kept alive, TTL 30000 ms\n`);
    expect((await holdfast('lease', 'ttl', String(id), '--keys')).out).toMatch(new RegExp(`^lease ${id}: TTL 30000 ms, \\d+ ms left, keys: svc/web\\n$`));
    expect((await holdfast('lease', 'list')).out).toContain(`${id}\tTTL 30000 ms\t1 keys`);
    expect((await holdfast('lease', 'revoke', String(id))).out).toMatch(new RegExp(`^lease ${id} revoked; 1 keys deleted`));
    expect((await holdfast('get', 'svc/web')).code).toBe(1);
    const missing = await holdfast('lease', 'keepalive', String(id), '--once');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^LeaseNotFoundError: /);
  }, 30_000);

  it('runs a command holding the lock, with its fencing token, and passes its exit status on', async () => {
    const tokenFile = join(root, 'token');
    const ran = await holdfast('lock', 'jobs', '--ttl', '5s', '--', 'sh', '-c', `echo $HOLDFAST_FENCE > ${tokenFile}`);
    expect(ran.code, ran.err).toBe(0);
    const first = Number(readFileSync(tokenFile, 'utf8'));
    expect(first).toBeGreaterThan(0);
    const failed = await holdfast('lock', 'jobs', '--', 'sh', '-c', `echo $HOLDFAST_FENCE > ${tokenFile}; exit 3`);
    expect(failed.code).toBe(3);
    expect(Number(readFileSync(tokenFile, 'utf8'))).toBeGreaterThan(first);
  }, 30_000);

  it('leads an election until stopped', async () => {
    const leading = holdfast('elect', 'main', 'worker-1');
    const client = createClient({ endpoints: cluster.endpoints() });
    try {
      const deadline = Date.now() + 10_000;
      while ((await client.election('main').leader()) === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(Buffer.from((await client.election('main').leader())!.value).toString()).toBe('worker-1');
      fixture.signalStop();
      const run = await leading;
      expect(run.code, run.err).toBe(0);
      expect(run.out).toMatch(/^leading main with worker-1 \(token \d+\)\n$/);
      expect(await client.election('main').leader()).toBeUndefined();
    } finally {
      client.close();
    }
  }, 30_000);
});
