import { status as GrpcStatus, Metadata } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CompactedError,
  CompareFailedError,
  createClient,
  DeadlineExceededError,
  errorFromStatus,
  type HoldfastClient,
  type HoldfastError,
  InternalError,
  InvalidArgumentError,
  KeyTooLargeError,
  NotLeaderError,
  OverloadedError,
  QuotaExceededError,
  RequestTooLargeError,
  StateCorruptError,
  UnavailableError,
  ValueTooLargeError,
} from '../src/index.js';
import { wasNeverSent } from '../src/errors.js';
import { type FakeServer, FakeFailure, startFakeServer } from './fake-server.js';

// Every row of the error table at the top of kv.proto.
const errorTable: Array<{ kind: string; code: number; errorClass: new (...args: never[]) => HoldfastError }> = [
  { kind: 'not-leader', code: GrpcStatus.UNAVAILABLE, errorClass: NotLeaderError },
  { kind: 'no-leader', code: GrpcStatus.UNAVAILABLE, errorClass: UnavailableError },
  { kind: 'compare-failed', code: GrpcStatus.FAILED_PRECONDITION, errorClass: CompareFailedError },
  { kind: 'key-too-large', code: GrpcStatus.INVALID_ARGUMENT, errorClass: KeyTooLargeError },
  { kind: 'value-too-large', code: GrpcStatus.INVALID_ARGUMENT, errorClass: ValueTooLargeError },
  { kind: 'request-too-large', code: GrpcStatus.INVALID_ARGUMENT, errorClass: RequestTooLargeError },
  { kind: 'invalid-argument', code: GrpcStatus.INVALID_ARGUMENT, errorClass: InvalidArgumentError },
  { kind: 'overloaded', code: GrpcStatus.RESOURCE_EXHAUSTED, errorClass: OverloadedError },
  { kind: 'quota-exceeded', code: GrpcStatus.RESOURCE_EXHAUSTED, errorClass: QuotaExceededError },
  { kind: 'compacted', code: GrpcStatus.OUT_OF_RANGE, errorClass: CompactedError },
  { kind: 'timeout', code: GrpcStatus.DEADLINE_EXCEEDED, errorClass: DeadlineExceededError },
  { kind: 'stopping', code: GrpcStatus.UNAVAILABLE, errorClass: UnavailableError },
  { kind: 'state-corrupt', code: GrpcStatus.DATA_LOSS, errorClass: StateCorruptError },
  { kind: 'internal', code: GrpcStatus.INTERNAL, errorClass: InternalError },
];

describe('errorFromStatus', () => {
  it.each(errorTable)('maps $kind to its class, keeping the status as cause', ({ kind, code, errorClass }) => {
    const metadata = new Metadata();
    metadata.set('holdfast-error', kind);
    const error = errorFromStatus({ code, details: `it was ${kind}`, metadata });
    expect(error).toBeInstanceOf(errorClass);
    expect(error.code).toBe(kind);
    expect(error.grpcCode).toBe(code);
    expect(error.message).toBe(`it was ${kind}`);
    expect((error.cause as { code: number }).code).toBe(code);
  });

  it('reads the leader address of a not-leader status', () => {
    const metadata = new Metadata();
    metadata.set('holdfast-error', 'not-leader');
    metadata.set('holdfast-leader', '127.0.0.1:7001');
    const error = errorFromStatus({ code: GrpcStatus.UNAVAILABLE, details: 'not leader', metadata });
    expect(error).toBeInstanceOf(NotLeaderError);
    expect((error as NotLeaderError).leader).toBe('127.0.0.1:7001');
  });

  it('maps a status without a holdfast name by its code', () => {
    const plain = (code: number) => errorFromStatus({ code, details: 'x', metadata: new Metadata() });
    expect(plain(GrpcStatus.UNAVAILABLE)).toBeInstanceOf(UnavailableError);
    expect(plain(GrpcStatus.UNAVAILABLE).code).toBe('unavailable');
    expect(plain(GrpcStatus.DEADLINE_EXCEEDED)).toBeInstanceOf(DeadlineExceededError);
    expect(plain(GrpcStatus.INTERNAL)).toBeInstanceOf(InternalError);
    expect(plain(GrpcStatus.UNKNOWN).code).toBe('unknown');
  });
});

describe('errors over the wire', () => {
  let server: FakeServer | undefined;
  let client: HoldfastClient | undefined;
  afterEach(async () => {
    client?.close();
    await server?.stop();
  });

  for (const transport of ['unary', 'batch'] as const) {
    it.each(errorTable)(`a put answered ${transport} with $kind rejects with its class`, async ({ kind, code, errorClass }) => {
      server = await startFakeServer({
        kv: {
          put: () => {
            throw new FakeFailure({ code, kind, message: `server says ${kind}` });
          },
        },
      });
      client = createClient({ endpoints: [server.address], batch: transport === 'batch', retry: { attemptsMax: 1 } });
      const error = await client.put('k', 'v').then(
        () => undefined,
        (thrown: unknown) => thrown as HoldfastError,
      );
      expect(error).toBeInstanceOf(errorClass);
      expect(error?.code).toBe(kind);
      expect(error?.grpcCode).toBe(code);
      expect(error?.message).toBe(`server says ${kind}`);
      expect(server.calls.map((call) => call.via)).toEqual([transport]);
    });
  }
});

describe('wasNeverSent', () => {
  const status = (code: number, details: string, kind?: string) => {
    const metadata = new Metadata();
    if (kind !== undefined) metadata.set('holdfast-error', kind);
    return errorFromStatus({ code, details, metadata });
  };

  it('knows a call grpc-js failed before any connection carried it', () => {
    expect(wasNeverSent(status(GrpcStatus.UNAVAILABLE, 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1.'))).toBe(true);
    expect(wasNeverSent(status(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded after 2.001s,Waiting for LB pick'))).toBe(true);
  });

  it('takes every other failure as possibly delivered', () => {
    expect(wasNeverSent(status(GrpcStatus.UNAVAILABLE, 'Connection dropped'))).toBe(false);
    expect(wasNeverSent(status(GrpcStatus.UNAVAILABLE, 'no leader', 'no-leader'))).toBe(false);
    expect(wasNeverSent(status(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded after 2.001s,LB pick: 0.001s,remote_addr=127.0.0.1:5'))).toBe(false);
    expect(wasNeverSent(status(GrpcStatus.DEADLINE_EXCEEDED, 'Waiting for LB pick', 'timeout'))).toBe(false);
    expect(wasNeverSent(new DeadlineExceededError('no answer to put within its deadline', { code: 'timeout' }))).toBe(false);
  });
});
