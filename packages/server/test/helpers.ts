/** A small grpc-js client for the integration tests: unary KV calls and a retrying session writer. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '@holdfast/protocol';
import type { ClusterHost } from '../src/clusterService.js';
import { parseNodeConfig } from '../src/config.js';
import type { LocalCluster } from '../src/localCluster.js';
import { type RunningNode, startNode } from '../src/node.js';

export interface CallError extends Error {
  code: grpc.status;
  kind: string;
  leader: string;
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `holdfast-${prefix}-`));
  // HOLDFAST_KEEP_TEST_DATA=1 keeps data and node logs for a post-mortem.
  const keep = process.env['HOLDFAST_KEEP_TEST_DATA'] === '1';
  return { path, remove: () => (keep ? undefined : rmSync(path, { recursive: true, force: true })) };
}

const clients = new Map<string, grpc.Client>();

function kvClient(address: string): grpc.Client {
  let client = clients.get(address);
  if (!client) {
    const { KvClient } = loadProtos();
    client = new KvClient(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    clients.set(address, client);
  }
  return client;
}

export function closeClients(): void {
  for (const client of clients.values()) client.close();
  clients.clear();
}

export function call<T = Record<string, unknown>>(address: string, method: string, request: object, timeoutMs = 3000): Promise<T> {
  const client = kvClient(address) as unknown as Record<string, (...args: unknown[]) => void>;
  return new Promise((resolve, reject) => {
    client[method]!.call(client, request, { deadline: Date.now() + timeoutMs }, (error: grpc.ServiceError | null, response: T) => {
      if (!error) {
        resolve(response);
        return;
      }
      const kind = error.metadata?.get('holdfast-error')[0];
      const leader = error.metadata?.get('holdfast-leader')[0];
      reject(Object.assign(error, { kind: typeof kind === 'string' ? kind : '', leader: typeof leader === 'string' ? leader : '' }));
    });
  });
}

export const bytes = (text: string): Buffer => Buffer.from(text);

export interface GetAnswer {
  found: boolean;
  kv: { value: Buffer; version: number; modRevision: number } | null;
  header: { revision: number; memberId: number };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A read on one node, retried while that node answers UNAVAILABLE (no leader yet, an election). */
export async function get(address: string, key: string, consistency = 'LINEARIZABLE'): Promise<GetAnswer> {
  const giveUp = Date.now() + 10_000;
  for (;;) {
    try {
      return await call<GetAnswer>(address, 'get', { key: bytes(key), consistency });
    } catch (error) {
      if ((error as CallError).code !== grpc.status.UNAVAILABLE || Date.now() > giveUp) throw error;
      await sleep(50);
    }
  }
}

function retryable(error: unknown): boolean {
  const code = (error as CallError).code;
  return code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED || code === grpc.status.CANCELLED;
}

/**
 * Writes with one session, retrying the same (client id, sequence) on any node until it is
 * acknowledged, as the SDK does. Records every acknowledged write and every failure.
 */
export class SessionWriter {
  private sequence = 0;
  readonly acknowledged = new Map<string, string>();
  readonly failures: string[] = [];
  private next = 0;

  constructor(
    private readonly clientId: string,
    private readonly endpoints: () => string[],
  ) {}

  async put(key: string, value: string, options: { giveUpMs?: number } = {}): Promise<{ revision: number }> {
    this.sequence += 1;
    const request = { key: bytes(key), value: bytes(value), session: { clientId: this.clientId, sequence: this.sequence } };
    const giveUp = Date.now() + (options.giveUpMs ?? 20_000);
    for (;;) {
      const list = this.endpoints();
      const address = list[this.next % Math.max(1, list.length)];
      try {
        if (!address) throw Object.assign(new Error('no endpoint'), { code: grpc.status.UNAVAILABLE });
        const answer = await call<{ revision: number }>(address, 'put', request, 2000);
        this.acknowledged.set(key, value);
        return answer;
      } catch (error) {
        if (!retryable(error) || Date.now() > giveUp) {
          this.failures.push(`${key}: ${(error as Error).message}`);
          throw error;
        }
        this.next += 1;
        await sleep(20);
      }
    }
  }
}

/** One node in this process on free loopback ports, returned once it leads (its own cluster). */
export async function startLoneNode(dataDir: string, extraFlags: readonly string[] = []): Promise<{ node: RunningNode; address: string }> {
  const config = parseNodeConfig(
    ['--id', '1', '--data-dir', dataDir, '--client-listen', '127.0.0.1:0', '--peer-listen', '127.0.0.1:0', '--log-level', 'silent', ...extraFlags],
    {},
  );
  const node = await startNode(config);
  const deadline = Date.now() + 20_000;
  while (node.driver.role !== 'leader') {
    if (Date.now() > deadline) {
      await node.stop();
      throw new Error('the single node did not become leader');
    }
    await sleep(20);
  }
  return { node, address: `127.0.0.1:${node.clientPort}` };
}

/**
 * Makes member `id` the leader (TransferLeadership to it) and waits until it leads. A transfer is
 * abandoned when the target has not won within one election timeout, or when the leader steps down
 * meanwhile (both happen on a loaded machine), so a refused or abandoned transfer is asked again,
 * of whichever member leads then, until `timeoutMs` has passed.
 */
export async function moveLeadership(cluster: LocalCluster, id: number, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const failures: string[] = [];
  for (;;) {
    const leader = await cluster.waitForLeader(Math.max(1_000, deadline - Date.now()));
    if (leader.id === id) return;
    if (Date.now() > deadline) throw new Error(`leadership did not move to member ${id}: ${failures.join('; ')}`);
    try {
      await transferLeadershipVia(leader.clientAddress, id, Math.min(10_000, Math.max(1_000, deadline - Date.now())));
    } catch (error) {
      failures.push(`${leader.id}: ${(error as Error).message}`);
      await sleep(200);
    }
  }
}

function transferLeadershipVia(address: string, targetId: number, timeoutMs: number): Promise<void> {
  const { ClusterClient } = loadProtos();
  const client = new ClusterClient(address, grpc.credentials.createInsecure());
  return new Promise<void>((resolve, reject) => {
    client.transferLeadership({ targetId }, { deadline: Date.now() + timeoutMs }, (error) => {
      client.close();
      if (error) reject(error);
      else resolve();
    });
  });
}

/** A metric's value in Prometheus exposition text (an unlabelled series). */
export function metricValue(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`metric ${name} not found`);
  return Number(line.split(' ')[1]);
}

/**
 * A ClusterService host for tests that drive the service without a node: a lone leader with one
 * member id, no members listed, no alarms, no repair, default placement and timeouts. Tests pass the
 * driver and whatever their case depends on in `overrides`.
 */
export function fakeClusterHost(overrides: Partial<ClusterHost> & Pick<ClusterHost, 'driver'>): ClusterHost {
  return {
    selfId: 1,
    protos: loadProtos(),
    dialCredentials: grpc.credentials.createInsecure(),
    requestTimeoutMs: 1000,
    members: () => [],
    header: () => ({ clusterId: 'c', memberId: 1, term: 2, revision: 0 }),
    memberIdMax: () => 1,
    promoteLagEntriesMax: 100,
    openBackup: async () => {
      throw new Error('this test opens no backup');
    },
    backupsMax: 1,
    storeBytes: () => 0,
    storeBytesMax: 1 << 30,
    applyVersionMax: 2,
    clusterVersion: () => 2,
    alarms: () => [],
    readsRefused: () => false,
    repairStatus: () => ({ repairing: false, reason: '', lastRepair: '' }),
    placement: () => ({ leaderRegions: [], survive: 'member' }),
    proposePlacement: async (placement) => placement,
    peerRtts: () => [],
    electionTimeoutMs: 400,
    electionSpreadMs: 400,
    readMode: 'read-index',
    leaseRemainingMs: () => 0,
    history: () => ({ keyCount: 0, revision: 0, compactRevision: 0, historyBytes: 0 }),
    ...overrides,
  };
}
