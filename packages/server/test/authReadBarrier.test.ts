/**
 * A linearizable read is checked against the auth state applied after its read barrier, not only
 * on arrival: an auth change committed before the read was invoked may reach this member's
 * applied state only while the barrier waits. Here the guard, the KV service and the request path
 * run in this process on a loopback gRPC port, over a state machine in memory; the driver's read
 * barrier is where the test applies the change (deterministically, before the barrier ends).
 */
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '@holdfast/protocol';
import { type AuthState, KvStateMachine, MemoryDisk, type SnapshotReader } from '@holdfast/storage';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthGuard } from '../src/auth/guard.js';
import { ClusterService } from '../src/clusterService.js';
import { issueToken } from '../src/auth/tokens.js';
import { parseNodeConfig } from '../src/config.js';
import type { NodeDriver } from '../src/driver.js';
import type { Forwarder } from '../src/forwarder.js';
import { StateIntegrity } from '../src/integrity.js';
import { kvServiceImplementation } from '../src/kvService.js';
import { NodeMetrics } from '../src/metrics.js';
import { storageLimitsOf } from '../src/node.js';
import { RequestPath } from '../src/requests.js';
import { WatchHub } from '../src/watch.js';
import { fakeClusterHost } from './helpers.js';

const config = parseNodeConfig(['--id', '1', '--data-dir', '/unused', '--log-level', 'silent'], {});
const SIGNING_KEY = { id: 1, secret: new Uint8Array(32).fill(7), createdAtMs: 0 };
const TOKEN_TTL_MS = 3_600_000;
const bytes = (text: string): Buffer => Buffer.from(text);

/** Alice may read `app/`, ops may take backups; root holds the root role. */
const GRANTED: AuthState = {
  enabled: true,
  revision: 1,
  tokenTtlMs: TOKEN_TTL_MS,
  users: [
    { name: 'root', roles: ['root'], passwordRevision: 0 },
    { name: 'alice', roles: ['app'], passwordRevision: 0 },
    { name: 'ops', roles: ['ops'], passwordRevision: 0 },
  ],
  roles: [
    { name: 'root', permissions: [] },
    { name: 'app', permissions: [{ type: 'keys', start: bytes('app/'), end: bytes('app0'), access: 'read' }] },
    { name: 'ops', permissions: [{ type: 'admin', right: 'backup' }] },
  ],
  signingKeys: [SIGNING_KEY],
};

/** The auth changes a read may find applied after its barrier. */
const CHANGES: Record<string, { readonly state: AuthState; readonly code: grpc.status; readonly details: RegExp }> = {
  'a revoked role': {
    state: { ...GRANTED, revision: 2, users: GRANTED.users.map((user) => (user.name === 'alice' ? { ...user, roles: [] } : user)) },
    code: grpc.status.PERMISSION_DENIED,
    details: /user "alice" has no read grant on key "app\/1"/,
  },
  'a changed password': {
    state: { ...GRANTED, revision: 2, users: GRANTED.users.map((user) => (user.name === 'alice' ? { ...user, passwordRevision: 1 } : user)) },
    code: grpc.status.UNAUTHENTICATED,
    details: /password of user "alice" changed since the token was issued/,
  },
  'a deleted user': {
    state: { ...GRANTED, revision: 2, users: GRANTED.users.filter((user) => user.name !== 'alice') },
    code: grpc.status.UNAUTHENTICATED,
    details: /user "alice" no longer exists/,
  },
};

const tokenOf = (user: string): string =>
  issueToken({ user, keyId: SIGNING_KEY.id, passwordRevision: 0, expiresAtMs: Date.now() + TOKEN_TTL_MS }, SIGNING_KEY);
const aliceToken = (): string => tokenOf('alice');

interface Server {
  readonly address: string;
  /** The applied auth state the guard sees. */
  auth: AuthState;
  /** Run inside every read barrier (the changes applied while it waits); none: the barrier passes at once. */
  duringBarrier: (() => void) | undefined;
  stop(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const storageLimits = storageLimitsOf(config);
  const sm = await KvStateMachine.open({ dir: '/kv', disk: new MemoryDisk(), limits: storageLimits });
  let index = 0;
  const server: Server = { address: '', auth: GRANTED, duringBarrier: undefined, stop: async () => {} };
  const driver = {
    role: 'leader',
    leaderId: 1,
    term: 1,
    appliedIndex: 1,
    propose: async (data: Uint8Array) => {
      index += 1;
      const [result] = await sm.apply([{ type: 'normal', term: 1, index, data }]);
      return result;
    },
    readBarrier: async () => {
      await Promise.resolve();
      server.duringBarrier?.();
    },
    boundedReadBarrier: async () => {
      await Promise.resolve();
      server.duringBarrier?.();
    },
  } as unknown as NodeDriver;
  const path = new RequestPath({
    clusterId: 'c',
    selfId: 1,
    driver,
    stateMachine: sm,
    limits: config.limits,
    storageLimits,
    forwarder: {} as Forwarder,
    clientAddressOf: () => '',
    isStopping: () => false,
    applyVersion: () => sm.clusterVersion,
    integrity: new StateIntegrity({ logger: pino({ level: 'silent' }), metrics: new NodeMetrics(), repair: { requestRepair: () => {} } }),
  });
  await path.execute({ op: 'put', put: { key: bytes('app/1'), value: bytes('one'), ifAbsent: false, ifModRevision: 0, prevKv: false, lease: 0, session: null, ifFenceAtLeast: 0 } }, { deadlineMs: Date.now() + 5000, forwarded: false });
  const guard = new AuthGuard({ auth: () => server.auth, selfId: 1, nowMs: () => Date.now(), leaseKeys: () => [] });
  const watches = new WatchHub({ limits: config.limits, revision: sm.revision, header: () => path.header(), isStopping: () => false, logger: pino({ level: 'silent' }) });
  const grpcServer = new grpc.Server({ interceptors: [guard.interceptor()] });
  grpcServer.addService(
    loadProtos().kv,
    kvServiceImplementation({
      path,
      metrics: new NodeMetrics(),
      requestTimeoutMs: 5000,
      inflight: { count: 0 },
      inflightMax: 100,
      batchMessageRequestsMax: 16,
      watches,
      leaseStream: { leasesMax: 4, requestsPerSecond: 100, pendingMax: 10 },
      guard,
    }),
  );
  const backupReader = { meta: { revision: sm.revision }, chunks: async function* () { yield bytes('chunk'); }, close: async () => {} } as unknown as SnapshotReader;
  grpcServer.addService(
    loadProtos().cluster,
    new ClusterService(fakeClusterHost({
      driver,
      requestTimeoutMs: 5000,
      header: () => path.header(),
      openBackup: async (deadlineMs, afterBarrier) => {
        await driver.readBarrier(deadlineMs);
        afterBarrier?.();
        return backupReader;
      },
      checkAgain: (methodPath, metadata, message) => guard.checkAgain(methodPath, metadata, message),
    })).implementation(),
  );
  const port = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return Object.assign(server, {
    address: `127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => grpcServer.tryShutdown(() => resolve())),
  });
}

type KvClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

function withToken(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

interface GetOutcome {
  readonly value?: string;
  readonly error?: grpc.ServiceError;
}

function unaryGet(client: KvClient, token: string, consistency: string): Promise<GetOutcome> {
  const request = { key: bytes('app/1'), consistency, maxStalenessMs: 0, revision: 0 };
  return new Promise((resolve) => {
    client.get!(request, withToken(token), { deadline: Date.now() + 5000 }, (error: grpc.ServiceError | null, response: { kv?: { value: Buffer } }) => {
      resolve(error ? { error } : { value: response.kv?.value.toString() ?? '' });
    });
  });
}

interface BatchOutcome {
  readonly value?: string;
  readonly error?: { code: number; message: string };
}

function batchGet(client: KvClient, token: string, consistency: string): Promise<BatchOutcome> {
  const stream = client.batch!(withToken(token), { deadline: Date.now() + 5000 }) as grpc.ClientDuplexStream<object, { responses: { get?: { kv?: { value: Buffer } }; error?: { code: number; message: string } }[] }>;
  return new Promise((resolve, reject) => {
    stream.on('data', (frame) => {
      const [response] = frame.responses;
      stream.end();
      if (response?.error) resolve({ error: response.error });
      else resolve({ value: response?.get?.kv?.value.toString() ?? '' });
    });
    stream.on('error', reject);
    stream.write({ requests: [{ id: 1, get: { key: bytes('app/1'), consistency, maxStalenessMs: 0, revision: 0 }, timeoutMs: 0 }] });
  });
}

/** A Backup stream's chunks, or its error. */
function backup(address: string, token: string): Promise<{ readonly chunks: number; readonly error?: grpc.ServiceError }> {
  const { ClusterClient } = loadProtos();
  const cluster = new ClusterClient(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<string, (...args: unknown[]) => grpc.ClientReadableStream<unknown>>;
  const stream = cluster.backup!({}, withToken(token), { deadline: Date.now() + 5000 });
  let chunks = 0;
  return new Promise((resolve) => {
    stream.on('data', () => {
      chunks += 1;
    });
    stream.on('error', (error: grpc.ServiceError) => {
      cluster.close();
      resolve({ chunks, error });
    });
    stream.on('end', () => {
      cluster.close();
      resolve({ chunks });
    });
  });
}

describe('a linearizable read after an auth change applied during its read barrier', () => {
  let server: Server;
  let client: KvClient;

  beforeAll(async () => {
    server = await startServer();
    const { KvClient } = loadProtos();
    client = new KvClient(server.address, grpc.credentials.createInsecure()) as unknown as KvClient;
  });

  afterEach(() => {
    server.auth = GRANTED;
    server.duringBarrier = undefined;
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
  });

  it('is answered while nothing changes', async () => {
    server.duringBarrier = () => {};
    expect(await unaryGet(client, aliceToken(), 'LINEARIZABLE')).toEqual({ value: 'one' });
    expect(await batchGet(client, aliceToken(), 'LINEARIZABLE')).toEqual({ value: 'one' });
  });

  for (const [name, change] of Object.entries(CHANGES)) {
    it(`is refused after ${name}, as the same call arriving after it is`, async () => {
      const token = aliceToken();
      server.duringBarrier = () => {
        server.auth = change.state;
      };
      const afterBarrier = await unaryGet(client, token, 'LINEARIZABLE');
      expect(afterBarrier.error?.code).toBe(change.code);
      expect(afterBarrier.error?.details).toMatch(change.details);
      // The same call arriving once the change is applied is refused alike.
      const onArrival = await unaryGet(client, token, 'LINEARIZABLE');
      expect(onArrival.error?.code).toBe(afterBarrier.error?.code);
      expect(onArrival.error?.details).toBe(afterBarrier.error?.details);
    });
  }

  it('is refused in a Batch stream after a revoked role', async () => {
    server.duringBarrier = () => {
      server.auth = CHANGES['a revoked role']!.state;
    };
    const answer = await batchGet(client, aliceToken(), 'LINEARIZABLE');
    expect(answer.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(answer.error?.message).toMatch(/^Batch: user "alice" has no read grant on key "app\/1"/);
  });

  it('is refused with a bounded staleness after a change applied by its barrier', async () => {
    server.duringBarrier = () => {
      server.auth = CHANGES['a revoked role']!.state;
    };
    const request = { key: bytes('app/1'), consistency: 'LINEARIZABLE', maxStalenessMs: 1000, revision: 0 };
    const error = await new Promise<grpc.ServiceError | null>((resolve) => {
      client.get!(request, withToken(aliceToken()), { deadline: Date.now() + 5000 }, (failed: grpc.ServiceError | null) => resolve(failed));
    });
    expect(error?.code).toBe(grpc.status.PERMISSION_DENIED);
  });

  it('refuses a backup whose caller lost the backup right during its barrier', async () => {
    server.duringBarrier = () => {};
    expect(await backup(server.address, tokenOf('ops'))).toEqual({ chunks: 1 });
    server.duringBarrier = () => {
      server.auth = { ...GRANTED, revision: 2, users: GRANTED.users.map((user) => (user.name === 'ops' ? { ...user, roles: [] } : user)) };
    };
    const refused = await backup(server.address, tokenOf('ops'));
    expect(refused.chunks).toBe(0);
    expect(refused.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(refused.error?.details).toBe('/holdfast.v1.Cluster/Backup: user "ops" lacks the admin right "backup"');
  });

  it('leaves a serializable read to the state applied on arrival (it takes no barrier)', async () => {
    let barriers = 0;
    server.duringBarrier = () => {
      barriers += 1;
    };
    expect(await unaryGet(client, aliceToken(), 'SERIALIZABLE')).toEqual({ value: 'one' });
    expect(barriers).toBe(0);
  });
});
