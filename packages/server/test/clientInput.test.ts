/**
 * The client port: every KV, Watch and Cluster handler gets requests in the shape the protobuf
 * decoder hands out, but fields may be absent, empty, out of range, unknown enum numbers, huge
 * repeated fields or oneofs with nothing set. Called directly with such requests (fast-check,
 * seeded), each handler answers exactly once: with a valid answer, or with a status and a
 * `holdfast-error` kind from the protocol's table (never `internal`); a refused request changes
 * nothing. One test sends such requests over a real gRPC connection to a running node.
 */
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { ERROR_KIND_METADATA, ERROR_KIND_STATUS, type ErrorKind, isErrorKind, loadProtos } from '@holdfast/protocol';
import type { NodeId, RaftStatus } from '@holdfast/raft';
import { type KvStateMachine, KvStateMachine as StateMachine, MemoryDisk, type MemberRecord, type SnapshotReader } from '@holdfast/storage';
import fc from 'fast-check';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterService, MEMBER_LABEL_BYTES_MAX } from '../src/clusterService.js';
import { parseNodeConfig } from '../src/config.js';
import type { NodeDriver } from '../src/driver.js';
import type { Forwarder } from '../src/forwarder.js';
import { StateIntegrity } from '../src/integrity.js';
import { kvServiceImplementation } from '../src/kvService.js';
import { NodeMetrics } from '../src/metrics.js';
import type { RunningNode } from '../src/node.js';
import { storageLimitsOf } from '../src/node.js';
import { RequestPath } from '../src/requests.js';
import { WatchHub } from '../src/watch.js';
import { closeClients, fakeClusterHost, startLoneNode, tempDir } from './helpers.js';

const RUNS = { seed: 31, numRuns: 150 };
const config = parseNodeConfig(
  [
    '--id', '1',
    '--data-dir', '/unused',
    '--key-bytes-max', '32',
    '--value-bytes-max', '256',
    '--request-bytes-max', '1024',
    '--batch-ops-max', '8',
    '--batch-message-requests-max', '16',
    '--log-level', 'silent',
  ],
  {},
);
const LIMITS = config.limits;

// ---- decoded-shape requests ----

const uint = fc.oneof(fc.nat({ max: 20 }), fc.constantFrom(0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 53, 2 ** 64));
const int64 = fc.oneof(uint, fc.constantFrom(-1, -(2 ** 63)));
const buffer = (bytesMax: number): fc.Arbitrary<Buffer> =>
  fc.oneof(
    { arbitrary: fc.constantFrom('a', 'b', 'c', 'ab').map((t) => Buffer.from(t)), weight: 4 },
    fc.constant(Buffer.alloc(0)),
    fc.uint8Array({ minLength: 1, maxLength: 6 }).map((b) => Buffer.from(b)),
    fc.constant(Buffer.alloc(bytesMax + 1, 0x61)),
  );
const key = buffer(LIMITS.keyBytesMax);
const value = buffer(LIMITS.valueBytesMax);
/** proto3 enums are open: a number the decoder does not know arrives as that number. */
const enumOf = <T extends string>(...names: T[]): fc.Arbitrary<T | number> =>
  fc.oneof({ arbitrary: fc.constantFrom(...names), weight: 3 }, fc.integer({ min: names.length, max: names.length + 5 }));
const session = fc.oneof(
  fc.constant(null),
  fc.record({ clientId: fc.oneof(fc.constant(''), fc.constant('client'), fc.string({ maxLength: 300 })), sequence: uint }),
);
const consistency = enumOf('LINEARIZABLE', 'SERIALIZABLE');
const put = fc.record({ key, value, ifAbsent: fc.boolean(), ifModRevision: uint, prevKv: fc.boolean(), session });
const revision = fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, uint);
const get = fc.record({ key, consistency, maxStalenessMs: uint, revision });
const emptyOr = (arbitrary: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> => fc.oneof({ arbitrary: fc.constant(Buffer.alloc(0)), weight: 3 }, arbitrary);
const del = fc.record({ key, ifModRevision: uint, prevKv: fc.boolean(), session, end: emptyOr(fc.oneof(key, fc.constant(Buffer.of(0)))), prefix: emptyOr(key) });
const range = fc.record({
  start: key,
  end: fc.oneof(key, fc.constant(Buffer.of(0))),
  prefix: fc.oneof(fc.constant(Buffer.alloc(0)), key),
  limit: uint,
  keysOnly: fc.boolean(),
  continuation: fc.oneof(fc.constant(Buffer.alloc(0)), key),
  consistency,
  maxStalenessMs: uint,
  revision,
});
const compare = fc.record({
  key,
  target: enumOf('VALUE', 'VERSION', 'MOD_REVISION', 'CREATE_REVISION'),
  op: enumOf('EQUAL', 'NOT_EQUAL', 'LESS', 'GREATER'),
  value,
  number: int64,
});
/** A oneof as decoded: one field set and named, or nothing set, or the name without its field. */
const txnOp = fc.oneof(
  put.map((p) => ({ put: p, op: 'put' as const })),
  get.map((g) => ({ get: g, op: 'get' as const })),
  del.map((d) => ({ delete: d, op: 'delete' as const })),
  fc.constant({}),
  fc.constant({ put: null, op: 'put' as const }),
);
/** Repeated fields: a few, or far more than any limit. */
const repeated = <T>(item: fc.Arbitrary<T>): fc.Arbitrary<T[]> =>
  fc.oneof({ arbitrary: fc.array(item, { maxLength: 3 }), weight: 5 }, fc.array(item, { minLength: 200, maxLength: 200 }));
const txn = fc.record({ compare: repeated(compare), success: repeated(txnOp), failure: repeated(txnOp), session });

type Method = 'put' | 'get' | 'delete' | 'range' | 'txn';
const REQUESTS: Record<Method, fc.Arbitrary<object>> = { put, get, delete: del, range, txn };
const anyKvRequest = fc.oneof(...(Object.keys(REQUESTS) as Method[]).map((m) => REQUESTS[m].map((request) => ({ method: m, request }))));

// ---- a node's request path over a real state machine in memory, with a driver that leads ----

interface Fixture {
  readonly sm: KvStateMachine;
  readonly kv: grpc.UntypedServiceImplementation;
  readonly watches: WatchHub;
}

async function fixture(): Promise<Fixture> {
  const storageLimits = storageLimitsOf(config);
  const sm = await StateMachine.open({ dir: '/kv', disk: new MemoryDisk(), limits: storageLimits });
  let index = 0;
  // The one write path of a leader, shortened: propose applies at once (one entry per write).
  const driver = {
    role: 'leader',
    leaderId: 1,
    term: 1,
    propose: async (data: Uint8Array) => {
      index += 1;
      const [result] = await sm.apply([{ type: 'normal', term: 1, index, data }]);
      return result;
    },
    readBarrier: async () => {},
    boundedReadBarrier: async () => {},
  } as unknown as NodeDriver;
  const path = new RequestPath({
    clusterId: 'c',
    selfId: 1,
    driver,
    stateMachine: sm,
    limits: LIMITS,
    storageLimits,
    forwarder: {} as Forwarder,
    clientAddressOf: () => '',
    isStopping: () => false,
    applyVersion: () => sm.clusterVersion,
    integrity: new StateIntegrity({ logger: pino({ level: 'silent' }), metrics: new NodeMetrics(), repair: { requestRepair: () => {} } }),
  });
  const watches = new WatchHub({ limits: LIMITS, revision: sm.revision, header: () => path.header(), isStopping: () => false, logger: pino({ level: 'silent' }) });
  sm.watchChanges(watches);
  const kv = kvServiceImplementation({
    path,
    metrics: new NodeMetrics(),
    requestTimeoutMs: 2000,
    inflight: { count: 0 },
    inflightMax: 1000,
    batchMessageRequestsMax: LIMITS.batchMessageRequestsMax,
    watches,
    leaseStream: { leasesMax: 4, requestsPerSecond: 1000, pendingMax: 100 },
  });
  return { sm, kv, watches };
}

const HANDLER: Record<Method, string> = { put: 'Put', get: 'Get', delete: 'Delete', range: 'Range', txn: 'Txn' };

interface Answer {
  readonly error: (Partial<grpc.StatusObject> & Error) | null;
  readonly response: unknown;
}

function fakeCall(request: unknown): object {
  return { request, metadata: new grpc.Metadata(), getDeadline: () => Number.POSITIVE_INFINITY, getPeer: () => 'test' };
}

/** Calls a unary handler as grpc-js would and waits for its one answer. */
function callUnary(service: grpc.UntypedServiceImplementation, name: string, request: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answers = 0;
    const handler = service[name] as (call: object, callback: (error: Answer['error'], response?: unknown) => void) => void;
    handler(fakeCall(request), (error, response) => {
      answers += 1;
      if (answers > 1) reject(new Error(`${name} answered twice`));
      else resolve({ error, response });
    });
  });
}

/** The kind a refusal names, checked against the protocol's table; never `internal`. */
function refusalKind(error: Partial<grpc.StatusObject> & Error): ErrorKind {
  const kind = String(error.metadata?.get(ERROR_KIND_METADATA)[0] ?? '');
  expect(isErrorKind(kind), `kind ${kind} of "${error.message}"`).toBe(true);
  expect(kind, error.message).not.toBe('internal');
  expect(error.code).toBe(ERROR_KIND_STATUS[kind as ErrorKind]);
  return kind as ErrorKind;
}

/** What a refused request must leave as it was. */
function stateOf(sm: KvStateMachine): string {
  return JSON.stringify({ revision: sm.revision, bytes: sm.keyValueBytes });
}

describe('KV handlers with decoded-shape requests (fast-check)', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture();
  });

  it('each request is answered once, validly or with a typed refusal that changed nothing', async () => {
    const kinds = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(anyKvRequest, async ({ method, request }) => {
        const before = stateOf(f.sm);
        const { error, response } = await callUnary(f.kv, HANDLER[method], request);
        if (error !== null) {
          const kind = refusalKind(error);
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
          expect(stateOf(f.sm), `${method} refused (${kind}) but changed the state`).toBe(before);
          return;
        }
        const header = (response as { header?: { revision?: unknown } }).header;
        expect(Number.isSafeInteger(header?.revision)).toBe(true);
        kinds.set('ok', (kinds.get('ok') ?? 0) + 1);
      }),
      RUNS,
    );
    // The generators reach both sides: answers and several kinds of refusal.
    expect(kinds.get('ok') ?? 0).toBeGreaterThan(0);
    expect(kinds.get('invalid-argument') ?? 0).toBeGreaterThan(0);
    expect(kinds.get('key-too-large') ?? 0).toBeGreaterThan(0);
  });

  it('names the problem of each kind of bad field', async () => {
    const cases: [Method, object, ErrorKind][] = [
      ['get', { key: Buffer.from('a'), consistency: 7, maxStalenessMs: 0, revision: 0 }, 'invalid-argument'],
      ['range', { start: Buffer.from('a'), end: Buffer.alloc(0), prefix: Buffer.alloc(0), limit: 0, keysOnly: false, continuation: Buffer.alloc(0), consistency: 9, maxStalenessMs: 0, revision: 0 }, 'invalid-argument'],
      // This state keeps no history (its writes are stamped below apply version 4): every past read is compacted.
      ['get', { key: Buffer.from('a'), consistency: 'LINEARIZABLE', maxStalenessMs: 0, revision: 10 ** 9 }, 'compacted'],
      ['put', { key: Buffer.alloc(0), value: Buffer.from('v'), ifAbsent: false, ifModRevision: 0, prevKv: false, session: null }, 'invalid-argument'],
      ['put', { key: Buffer.from('k'), value: Buffer.alloc(LIMITS.valueBytesMax + 1), ifAbsent: false, ifModRevision: 0, prevKv: false, session: null }, 'value-too-large'],
      ['put', { key: Buffer.from('k'), value: Buffer.from('v'), ifAbsent: false, ifModRevision: 2 ** 64, prevKv: false, session: null }, 'invalid-argument'],
      ['put', { key: Buffer.from('k'), value: Buffer.from('v'), ifAbsent: false, ifModRevision: 0, prevKv: false, session: { clientId: 'c', sequence: 0 } }, 'invalid-argument'],
      ['txn', { compare: [{ key: Buffer.from('k'), target: 'VALUE', op: 12, value: Buffer.alloc(0), number: 0 }], success: [], failure: [], session: null }, 'invalid-argument'],
      ['txn', { compare: [], success: [{}], failure: [], session: null }, 'invalid-argument'],
      ['txn', { compare: [], success: Array.from({ length: 9 }, () => ({ get: { key: Buffer.from('k') }, op: 'get' })), failure: [], session: null }, 'request-too-large'],
    ];
    for (const [method, request, kind] of cases) {
      const { error } = await callUnary(f.kv, HANDLER[method], request);
      expect(error, `${method} ${JSON.stringify(request).slice(0, 120)}`).not.toBeNull();
      expect(refusalKind(error!)).toBe(kind);
    }
  });

  it('the Batch stream answers every request of every frame once, whatever the frames hold', async () => {
    const batchRequest = fc.oneof(
      anyKvRequest.map(({ method, request }) => ({ [method]: request, op: method })),
      fc.constant({}),
      fc.constant({ op: 'put', put: null }),
    );
    const frame = fc.array(
      fc.record({ id: fc.nat(), timeoutMs: fc.oneof(fc.nat({ max: 5000 }), fc.constant(2 ** 32 - 1)), request: batchRequest }),
      { maxLength: LIMITS.batchMessageRequestsMax + 2 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 3 }), async (frames) => {
        const call = Object.assign(new EventEmitter(), fakeCall(undefined), {
          cancelled: false,
          destroyed: false,
          written: [] as { responses: { id: number; error?: object }[] }[],
          write(message: { responses: { id: number; error?: object }[] }) {
            this.written.push(message);
            return true;
          },
          end() {
            finished();
          },
        });
        let finished: () => void = () => {};
        const ended = new Promise<void>((resolve) => {
          finished = resolve;
        });
        (f.kv['Batch'] as (call: object) => void)(call);
        for (const requests of frames) {
          call.emit('data', { requests: requests.map(({ id, timeoutMs, request }) => ({ id, timeoutMs, ...request })) });
        }
        call.emit('end');
        await ended;
        const answered = call.written.flatMap((m) => m.responses);
        expect(answered.map((r) => r.id).sort()).toEqual(frames.flat().map((r) => r.id).sort());
        for (const answer of answered) {
          const error = answer.error as { kind?: string; code?: number } | undefined;
          if (error === undefined) continue;
          expect(isErrorKind(error.kind ?? '')).toBe(true);
          expect(error.kind).not.toBe('internal');
        }
      }),
      { ...RUNS, numRuns: 60 },
    );
  });

  it('Watch opens or refuses with a typed status, whatever the request', async () => {
    const watchRequest = fc.record({
      start: key,
      end: fc.oneof(key, fc.constant(Buffer.of(0))),
      prefix: fc.oneof(fc.constant(Buffer.alloc(0)), key),
      startRevision: uint,
    });
    await fc.assert(
      fc.asyncProperty(watchRequest, async (request) => {
        const call = Object.assign(new EventEmitter(), fakeCall(request), {
          writableLength: 0,
          written: [] as { created?: boolean }[],
          write(message: { created?: boolean }) {
            this.written.push(message);
            return true;
          },
        });
        const errors: (Partial<grpc.StatusObject> & Error)[] = [];
        call.on('error', (error: Partial<grpc.StatusObject> & Error) => errors.push(error));
        f.watches.open(call as never);
        if (errors.length > 0) {
          expect(['invalid-argument', 'key-too-large', 'compacted']).toContain(refusalKind(errors[0]!));
          expect(call.written).toEqual([]);
        } else {
          expect(call.written[0]?.created).toBe(true);
          call.emit('cancelled');
        }
      }),
      RUNS,
    );
  });
});

/** Member 1 leading `voters` in term 2, every voter caught up at index 10. */
function leaderStatus(voters: NodeId[]): RaftStatus {
  return {
    id: 1,
    term: 2,
    vote: 1,
    role: 'leader',
    leaderId: 1,
    commit: 10,
    applied: 10,
    lastIndex: 10,
    confState: { voters, learners: [] },
    progress: voters.map((id) => ({ id, match: 10, next: 11, state: 'replicate', isLearner: false, recentActive: true, inflightMessages: 0, lostEntries: false })),
    leadTransferee: 0,
    repairing: false,
    repairCommitTarget: 0,
  };
}

describe('Cluster handlers with decoded-shape requests (fast-check)', () => {
  function clusterFixture() {
    const proposed: unknown[] = [];
    let leaderId: NodeId = 1;
    const members: MemberRecord[] = [1, 2, 3].map((id) => ({
      id,
      name: `node-${id}`,
      region: 'local',
      clientAddress: `127.0.0.1:${7000 + id}`,
      peerAddress: `127.0.0.1:${7100 + id}`,
      learner: false,
    }));
    const status = leaderStatus([1, 2, 3]);
    const driver = {
      role: 'leader',
      get leaderId() {
        return leaderId;
      },
      appliedIndex: 10,
      status: () => status,
      proposeConfChange: async (change: unknown) => {
        proposed.push(change);
        return { index: 11, slot: 0, term: 2, outcome: { type: 'confChange' }, duplicate: false };
      },
      transferLeadership: (to: NodeId) => {
        if (!status.confState.voters.includes(to)) throw Object.assign(new Error(`cannot transfer leadership to ${to}: not a voter`), { code: 'TRANSFER_TARGET_INVALID' });
        leaderId = to;
      },
    } as unknown as NodeDriver;
    const service = new ClusterService(fakeClusterHost({
      driver,
      requestTimeoutMs: 200,
      members: () => members,
      memberIdMax: () => 3,
      openBackup: async () => ({}) as SnapshotReader,
    }));
    return { service: service.implementation(), proposed, resetLeader: () => (leaderId = 1) };
  }

  const memberId = fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 99), fc.constantFrom(2 ** 53, 2 ** 64));
  const address = fc.oneof(fc.constantFrom('127.0.0.1:7009', 'localhost:1', '', ':', 'host:99999', '127.0.0.1:-1'), fc.string({ maxLength: 20 }));
  const label = fc.oneof(fc.constantFrom('', 'n', 'eu'), fc.string({ minLength: 257, maxLength: 300 }));
  const requests: fc.Arbitrary<{ name: string; request: object; changes: boolean }> = fc.oneof(
    fc.record({ name: fc.constant('MemberAddLearner'), request: fc.record({ name: label, region: label, clientAddress: address, peerAddress: address }), changes: fc.constant(true) }),
    fc.record({ name: fc.constant('MemberPromote'), request: fc.record({ id: memberId }), changes: fc.constant(true) }),
    fc.record({ name: fc.constant('MemberRemove'), request: fc.record({ id: memberId }), changes: fc.constant(true) }),
    fc.record({ name: fc.constant('TransferLeadership'), request: fc.record({ targetId: memberId }), changes: fc.constant(false) }),
    fc.record({ name: fc.constant('Status'), request: fc.record({ localOnly: fc.constant(true) }), changes: fc.constant(false) }),
    fc.record({ name: fc.constant('MemberList'), request: fc.constant({}), changes: fc.constant(false) }),
  );

  it('each request is answered once, validly or with a typed refusal that proposed nothing', async () => {
    await fc.assert(
      fc.asyncProperty(requests, async ({ name, request, changes }) => {
        const { service, proposed, resetLeader } = clusterFixture();
        const { error, response } = await callUnary(service, name, request);
        resetLeader();
        if (error !== null) {
          refusalKind(error);
          expect(proposed).toEqual([]);
          return;
        }
        expect((response as { header?: object }).header).toBeDefined();
        if (changes) expect(proposed).toHaveLength(1);
        // An accepted member is one the limits allow.
        const member = (response as { member?: { name: string; region: string } }).member;
        if (member !== undefined) {
          expect(Buffer.byteLength(member.name)).toBeLessThanOrEqual(MEMBER_LABEL_BYTES_MAX);
          expect(Buffer.byteLength(member.region)).toBeLessThanOrEqual(MEMBER_LABEL_BYTES_MAX);
        }
      }),
      RUNS,
    );
  });
});

describe('a membership change right after an election', () => {
  const tooEarly = () => Object.assign(new Error('the leader has not committed an entry of its term yet'), { code: 'CONF_CHANGE_TOO_EARLY' });
  function serviceRefusing(refusals: number, requestTimeoutMs: number) {
    const proposed: unknown[] = [];
    let attempts = 0;
    const status = leaderStatus([1]);
    const driver = {
      role: 'leader',
      leaderId: 1,
      appliedIndex: 10,
      status: () => status,
      proposeConfChange: async (change: unknown) => {
        attempts += 1;
        if (attempts <= refusals) throw tooEarly();
        proposed.push(change);
        return { index: 11, slot: 0, term: 2, outcome: { type: 'confChange' }, duplicate: false };
      },
    } as unknown as NodeDriver;
    const members: MemberRecord[] = [{ id: 1, name: 'node-1', region: 'local', clientAddress: '127.0.0.1:7001', peerAddress: '127.0.0.1:7101', learner: false }];
    const service = new ClusterService(fakeClusterHost({ driver, requestTimeoutMs, members: () => members }));
    return { service: service.implementation(), proposed, attempts: () => attempts };
  }
  const learner = { name: 'n2', region: 'local', clientAddress: '127.0.0.1:7002', peerAddress: '127.0.0.1:7102' };

  it('waits until the new leader committed an entry of its term, then proposes once', async () => {
    const { service, proposed, attempts } = serviceRefusing(3, 5000);
    const { error } = await callUnary(service, 'MemberAddLearner', learner);
    expect(error).toBeNull();
    expect(attempts()).toBe(4);
    expect(proposed).toHaveLength(1);
  });

  it('past its deadline answers no-leader (retryable), having changed nothing', async () => {
    const { service, proposed } = serviceRefusing(Number.POSITIVE_INFINITY, 100);
    const { error } = await callUnary(service, 'MemberAddLearner', learner);
    expect(refusalKind(error!)).toBe('no-leader');
    expect(error!.details ?? error!.message).toMatch(/not committed an entry of its term.*nothing was changed/);
    expect(proposed).toEqual([]);
  });
});

describe('hostile client requests over a real gRPC connection', () => {
  const dir = tempDir('client-input');
  let node: RunningNode;
  let address: string;
  beforeAll(async () => {
    ({ node, address } = await startLoneNode(dir.path, ['--key-bytes-max', '32', '--value-bytes-max', '256', '--request-bytes-max', '1024', '--batch-ops-max', '8']));
  });
  afterAll(async () => {
    closeClients();
    await node?.stop();
    dir.remove();
  });

  it('every answer is valid or a typed status, and the node serves on', async () => {
    const protos = loadProtos();
    const kv = new protos.KvClient(address, grpc.credentials.createInsecure());
    const cluster = new protos.ClusterClient(address, grpc.credentials.createInsecure());
    const invoke = (client: grpc.Client, method: string, request: object): Promise<Answer> =>
      new Promise((resolve) => {
        const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method]!;
        fn.call(client, request, { deadline: Date.now() + 5000 }, (error: Answer['error'], response: unknown) => resolve({ error, response }));
      });
    try {
      await fc.assert(
        fc.asyncProperty(anyKvRequest, async ({ method, request }) => {
          const { error } = await invoke(kv, method, request);
          if (error !== null) refusalKind(error);
        }),
        { seed: 7, numRuns: 60 },
      );
      for (const id of [0, 2 ** 53, 2 ** 64 - 1]) {
        const { error } = await invoke(cluster, 'memberRemove', { id });
        expect(refusalKind(error!)).toBe('invalid-argument');
      }
      const { error } = await invoke(cluster, 'memberAddLearner', { name: 'x'.repeat(300), clientAddress: '127.0.0.1:1', peerAddress: '127.0.0.1:2' });
      expect(refusalKind(error!)).toBe('invalid-argument');
      // A Batch stream with hostile frames: every request gets one answer, none `internal`.
      const batch = kv.batch();
      const answers: { id: number; error: { kind: string } | null }[] = [];
      batch.on('data', (frame: { responses: { id: number; error: { kind: string } | null }[] }) => answers.push(...frame.responses));
      const batchEnded = new Promise<void>((resolve, reject) => {
        batch.on('end', () => resolve());
        batch.on('error', reject);
      });
      batch.write({ requests: [{ id: 1 }, { id: 2, timeoutMs: 2 ** 32 - 1, get: { key: Buffer.from('k') } }, { id: 3, get: { key: Buffer.alloc(0) } }] });
      batch.write({ requests: Array.from({ length: LIMITS.batchMessageRequestsMax + 1 }, (_, i) => ({ id: 10 + i, get: { key: Buffer.from('k') } })) });
      batch.end();
      await batchEnded;
      expect(answers).toHaveLength(3 + LIMITS.batchMessageRequestsMax + 1);
      expect(answers.map((a) => a.error?.kind ?? 'ok').filter((kind) => !isErrorKind(kind) && kind !== 'ok')).toEqual([]);
      expect(answers.filter((a) => a.id <= 3).map((a) => a.error?.kind)).toEqual(['invalid-argument', 'invalid-argument', 'invalid-argument']);
      // A Watch that cannot open ends with its status.
      const watchError = await new Promise<grpc.ServiceError>((resolve) => {
        const watch = kv.watch({ start: Buffer.alloc(0), prefix: Buffer.alloc(0), startRevision: 2 ** 64 });
        watch.on('data', () => {});
        watch.on('error', resolve);
      });
      expect(refusalKind(watchError)).toBe('invalid-argument');
      const put = await invoke(kv, 'put', { key: Buffer.from('still'), value: Buffer.from('serving') });
      expect(put.error).toBeNull();
      const read = await invoke(kv, 'get', { key: Buffer.from('still') });
      expect((read.response as { kv: { value: Buffer } }).kv.value.toString()).toBe('serving');
    } finally {
      kv.close();
      cluster.close();
    }
  });
});
