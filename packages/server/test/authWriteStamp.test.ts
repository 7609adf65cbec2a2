/**
 * A write is checked on arrival against the auth state the member that takes it has applied,
 * which may lag an auth change the cluster already committed; the write then carries the auth
 * revision it was checked at, and is refused at apply if an auth change was applied before it
 * (apply version 8). Here a leader (a state machine in memory, applying what is proposed at
 * once) and a follower whose applied auth state lags it run their guards, KV services and request
 * paths in this process on loopback gRPC ports; the follower forwards writes to the leader over
 * the real Forwarder, with its member token.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '@holdfast/protocol';
import { APPLY_VERSION_AUTH_REVISION, APPLY_VERSION_FENCE, type AuthChange, type AuthState, KvStateMachine, MemoryDisk } from '@holdfast/storage';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuthGuard } from '../src/auth/guard.js';
import { defaultLoginLimits } from '../src/auth/rate-limit.js';
import { AuthService } from '../src/auth/authService.js';
import { issueToken } from '../src/auth/tokens.js';
import { parseNodeConfig } from '../src/config.js';
import type { NodeDriver } from '../src/driver.js';
import { Forwarder } from '../src/forwarder.js';
import { StateIntegrity } from '../src/integrity.js';
import { kvServiceImplementation } from '../src/kvService.js';
import { NodeMetrics } from '../src/metrics.js';
import { storageLimitsOf } from '../src/node.js';
import { RequestPath } from '../src/requests.js';
import { WatchHub } from '../src/watch.js';

const config = parseNodeConfig(['--id', '1', '--data-dir', '/unused', '--log-level', 'silent'], {});
const storageLimits = storageLimitsOf(config);
const SIGNING_KEY = { id: 1, secret: new Uint8Array(32).fill(7), createdAtMs: Date.now() };
const TOKEN_TTL_MS = 3_600_000;
const bytes = (text: string): Buffer => Buffer.from(text);
const silent = pino({ level: 'silent' });
/** How long after the leader refused a write the follower applies the change that overtook it. */
const FOLLOWER_LAG_MS = 200;

/** Root; role app may write `app/`; alice and bob hold it; carol holds admins (the auth right). */
const SET_UP: AuthChange[] = [
  { op: 'roleAdd', name: 'admins' },
  { op: 'roleGrant', name: 'admins', permission: { type: 'admin', right: 'auth' } },
  { op: 'userAdd', name: 'carol' },
  { op: 'userGrantRole', name: 'carol', role: 'admins' },
  { op: 'roleAdd', name: 'root' },
  { op: 'userAdd', name: 'root' },
  { op: 'userGrantRole', name: 'root', role: 'root' },
  { op: 'roleAdd', name: 'app' },
  { op: 'roleGrant', name: 'app', permission: { type: 'keys', start: bytes('app/'), end: bytes('app0'), access: 'readwrite' } },
  { op: 'userAdd', name: 'alice' },
  { op: 'userGrantRole', name: 'alice', role: 'app' },
  { op: 'userAdd', name: 'bob' },
  { op: 'userGrantRole', name: 'bob', role: 'app' },
  { op: 'enable', signingKey: SIGNING_KEY, tokenTtlMs: TOKEN_TTL_MS },
];

const tokenOf = (user: string): string =>
  issueToken({ user, keyId: SIGNING_KEY.id, passwordRevision: 0, expiresAtMs: Date.now() + TOKEN_TTL_MS }, SIGNING_KEY);

interface Member {
  readonly address: string;
  readonly path: RequestPath;
  stop(): Promise<void>;
}

interface MemberOptions {
  readonly selfId: number;
  readonly role: 'leader' | 'follower';
  readonly auth: () => AuthState | undefined;
  /** Applies a proposed command (the leader's state machine); the follower proposes nothing. */
  readonly propose: (data: Uint8Array) => Promise<unknown>;
  readonly stateMachine: KvStateMachine;
  readonly applyVersion: () => number;
  readonly leaderAddress: () => string;
}

async function startMember(options: MemberOptions): Promise<Member> {
  const driver = {
    role: options.role,
    leaderId: 1,
    term: 1,
    propose: options.propose,
    readBarrier: async () => {},
  } as unknown as NodeDriver;
  const guard = new AuthGuard({ auth: options.auth, selfId: options.selfId, nowMs: () => Date.now(), leaseKeys: () => [] });
  const protos = loadProtos();
  const forwarder = new Forwarder(
    {
      protos,
      credentials: grpc.credentials.createInsecure(),
      authorization: () => {
        const token = guard.memberToken();
        return token === undefined ? undefined : `Bearer ${token}`;
      },
      authOn: () => guard.enabled(),
    },
    100,
    16,
  );
  const path = new RequestPath({
    clusterId: 'c',
    selfId: options.selfId,
    driver,
    stateMachine: options.stateMachine,
    limits: config.limits,
    storageLimits,
    forwarder,
    clientAddressOf: () => options.leaderAddress(),
    isStopping: () => false,
    applyVersion: options.applyVersion,
    integrity: new StateIntegrity({ logger: silent, metrics: new NodeMetrics(), repair: { requestRepair: () => {} } }),
  });
  const sm = options.stateMachine;
  const authService = new AuthService({
    protos,
    dialCredentials: grpc.credentials.createInsecure(),
    guard,
    requestTimeoutMs: 5000,
    tokenTtlMsDefault: TOKEN_TTL_MS,
    loginLimits: defaultLoginLimits,
    auth: options.auth,
    isLeader: () => options.role === 'leader',
    leaderClientAddress: () => options.leaderAddress(),
    changeAuth: (change, deadlineMs, authRevision) => path.changeAuth(change, deadlineMs, authRevision),
    readBarrier: async () => {},
    nowMs: () => Date.now(),
  });
  const watches = new WatchHub({ limits: config.limits, revision: sm.revision, header: () => path.header(), isStopping: () => false, logger: silent });
  const server = new grpc.Server({ interceptors: [guard.interceptor()] });
  server.addService(
    protos.kv,
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
  server.addService(protos.auth, authService.implementation());
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return {
    address: `127.0.0.1:${port}`,
    path,
    stop: async () => {
      forwarder.close();
      authService.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
    },
  };
}

type KvClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

interface PutOutcome {
  readonly revision?: number;
  readonly error?: grpc.ServiceError;
}

function put(client: KvClient, user: string, key: string): Promise<PutOutcome> {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${tokenOf(user)}`);
  const request = { key: bytes(key), value: bytes(user), session: { clientId: `${user}/0`, sequence: Date.now() } };
  return new Promise((resolve) => {
    client.put!(request, metadata, { deadline: Date.now() + 5000 }, (error: grpc.ServiceError | null, response: { revision: number }) => {
      resolve(error ? { error } : { revision: response.revision });
    });
  });
}

/** An auth change by `user` through the Auth service: a grant of role app to dave. */
function grantDave(address: string, user: string): Promise<{ readonly error?: grpc.ServiceError }> {
  const { AuthClient } = loadProtos();
  const auth = new AuthClient(address, grpc.credentials.createInsecure()) as unknown as grpc.Client & Record<string, (...args: unknown[]) => unknown>;
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${tokenOf(user)}`);
  return new Promise((resolve) => {
    auth.userGrantRole!({ name: 'dave', role: 'app' }, metadata, { deadline: Date.now() + 5000 }, (error: grpc.ServiceError | null) => {
      auth.close();
      resolve(error ? { error } : {});
    });
  });
}

describe('a write taken by a follower that applies auth changes late', () => {
  let sm: KvStateMachine;
  let leader: Member;
  let follower: Member;
  let client: KvClient;
  let index = 0;
  /** The auth state the follower has applied: the leader's as of some earlier index. */
  let followerAuth: AuthState | undefined;
  let applyVersion = APPLY_VERSION_AUTH_REVISION;
  /** Writes and auth changes the leader's apply refused auth-changed. */
  let refusals = 0;

  const apply = async (data: Uint8Array) => {
    index += 1;
    const [result] = await sm.apply([{ type: 'normal', term: 1, index, data }]);
    if (result?.outcome.type === 'authStale') {
      refusals += 1;
      // The follower applies what the leader committed a moment after the refusal.
      setTimeout(catchUp, FOLLOWER_LAG_MS);
    }
    return result;
  };
  const changeAuth = (change: AuthChange) => leader.path.changeAuth(change, Date.now() + 5000);
  /** The follower applies up to the leader's index. */
  const catchUp = (): void => {
    followerAuth = sm.auth;
  };

  beforeAll(async () => {
    sm = await KvStateMachine.open({ dir: '/kv', disk: new MemoryDisk(), limits: storageLimits });
    let leaderAddress = '';
    leader = await startMember({
      selfId: 1,
      role: 'leader',
      auth: () => sm.auth,
      propose: apply,
      stateMachine: sm,
      applyVersion: () => applyVersion,
      leaderAddress: () => leaderAddress,
    });
    leaderAddress = leader.address;
    follower = await startMember({
      selfId: 2,
      role: 'follower',
      auth: () => followerAuth,
      propose: () => Promise.reject(new Error('a follower proposes nothing')),
      // The leader's state, but with the follower's lagging auth state applied.
      stateMachine: Object.create(sm, { auth: { get: () => followerAuth } }) as KvStateMachine,
      applyVersion: () => applyVersion,
      leaderAddress: () => leaderAddress,
    });
    for (const change of SET_UP) await changeAuth(change);
    catchUp();
    const { KvClient } = loadProtos();
    client = new KvClient(follower.address, grpc.credentials.createInsecure()) as unknown as KvClient;
  });

  afterEach(async () => {
    applyVersion = APPLY_VERSION_AUTH_REVISION;
    if (!sm.auth?.users.find((user) => user.name === 'alice')?.roles.includes('app')) await changeAuth({ op: 'userGrantRole', name: 'alice', role: 'app' });
    if (!sm.auth?.users.find((user) => user.name === 'carol')?.roles.includes('admins')) await changeAuth({ op: 'userGrantRole', name: 'carol', role: 'admins' });
    catchUp();
  });

  afterAll(async () => {
    client?.close();
    await follower?.stop();
    await leader?.stop();
    await sm?.close();
  });

  it('is applied while the auth state it was checked against is current', async () => {
    const answer = await put(client, 'alice', 'app/current');
    expect(answer.error).toBeUndefined();
    expect((await sm.get(bytes('app/current')))?.value.toString()).toBe('alice');
  });

  it('is refused, and not applied, when the writer\'s role was revoked before it', async () => {
    await changeAuth({ op: 'userRevokeRole', name: 'alice', role: 'app' });
    const revision = sm.revision;
    const checkedAt = followerAuth?.revision ?? 0;
    // The follower has not applied the revocation: it lets the write through and forwards it.
    const refused = await put(client, 'alice', 'app/revoked');
    expect(refused.error?.code).toBe(grpc.status.ABORTED);
    expect(refused.error?.metadata.get('holdfast-error')).toEqual(['auth-changed']);
    expect(refused.error?.details).toBe(
      `put was authorized against auth revision ${checkedAt}; an auth change applied before it (auth revision ${checkedAt + 1} now) may have revoked that permission, so nothing was applied: send it again (the SDK does) to be checked against the current auth state`,
    );
    expect(await sm.get(bytes('app/revoked'))).toBeUndefined();
    expect(sm.revision).toBe(revision);
    // The follower answered once it had applied the change that overtook its check: the write
    // sent again is refused on arrival.
    expect(followerAuth?.revision).toBe(checkedAt + 1);
    const again = await put(client, 'alice', 'app/revoked');
    expect(again.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(await sm.get(bytes('app/revoked'))).toBeUndefined();
  });

  it('refuses a still permitted writer\'s write too, which passes when sent again', async () => {
    await changeAuth({ op: 'userRevokeRole', name: 'alice', role: 'app' });
    const refusalsBefore = refusals;
    expect((await put(client, 'bob', 'app/bob')).error?.code).toBe(grpc.status.ABORTED);
    expect(refusals).toBe(refusalsBefore + 1);
    expect(followerAuth?.revision).toBe(sm.auth?.revision);
    expect((await put(client, 'bob', 'app/bob')).error).toBeUndefined();
    expect((await sm.get(bytes('app/bob')))?.value.toString()).toBe('bob');
  });

  it('is applied unchecked, as before, while the cluster applies below version 8', async () => {
    applyVersion = APPLY_VERSION_FENCE;
    await changeAuth({ op: 'userRevokeRole', name: 'alice', role: 'app' });
    const answer = await put(client, 'alice', 'app/older-cluster');
    expect(answer.error).toBeUndefined();
  });

  it('refuses an auth change by an admin whose auth right was revoked before it, as a write', async () => {
    await changeAuth({ op: 'userAdd', name: 'dave' });
    catchUp();
    await changeAuth({ op: 'userRevokeRole', name: 'carol', role: 'admins' });
    const revision = sm.auth?.revision;
    // Taken by the follower (the revocation not yet applied there), forwarded to the leader.
    const refused = await grantDave(follower.address, 'carol');
    expect(refused.error?.code).toBe(grpc.status.ABORTED);
    expect(refused.error?.details).toMatch(/^userGrantRole was authorized against auth revision \d+; an auth change applied before it/);
    expect(sm.auth?.users.find((user) => user.name === 'dave')?.roles).toEqual([]);
    expect(sm.auth?.revision).toBe(revision);
    expect(followerAuth?.revision).toBe(revision);
    expect((await grantDave(follower.address, 'carol')).error?.code).toBe(grpc.status.PERMISSION_DENIED);
    // Root, still holding the right, passes once the follower caught up.
    expect((await grantDave(follower.address, 'root')).error).toBeUndefined();
    expect(sm.auth?.users.find((user) => user.name === 'dave')?.roles).toEqual(['app']);
  });
});
