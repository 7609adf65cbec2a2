/**
 * Forwards client requests from a follower to the leader over one Batch stream per leader
 * address (marked `holdfast-forwarded` so the leader never forwards them again). Requests are
 * answered by id; a broken stream fails what it carried with a retryable error (the writes carry
 * sessions, so a retry applies once).
 */
import * as grpc from '@grpc/grpc-js';
import { fromBatchError, NoLeaderError, OverloadedError, TimeoutError } from './errors.js';
import type { BatchRequest, BatchResponse, Protos } from './proto.js';
import type { KvOp, KvResult } from './requests.js';
import { CHANNEL_OPTIONS } from './transport.js';

export const FORWARDED_METADATA = 'holdfast-forwarded';

interface Pending {
  readonly resolve: (result: KvResult) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

class LeaderStream {
  private readonly client: grpc.Client;
  private stream: grpc.ClientDuplexStream<BatchRequest, BatchResponse> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    readonly address: string,
    protos: Protos,
    private readonly pendingMax: number,
  ) {
    this.client = new protos.KvClient(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  private open(): grpc.ClientDuplexStream<BatchRequest, BatchResponse> {
    if (this.stream) return this.stream;
    const metadata = new grpc.Metadata();
    metadata.set(FORWARDED_METADATA, '1');
    const stream = (this.client as unknown as { batch(m: grpc.Metadata): grpc.ClientDuplexStream<BatchRequest, BatchResponse> }).batch(
      metadata,
    );
    this.stream = stream;
    stream.on('data', (response: BatchResponse) => this.answer(response));
    const fail = (): void => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      const error = new NoLeaderError();
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(error);
      }
    };
    stream.on('error', fail);
    stream.on('end', fail);
    stream.on('close', fail);
    return stream;
  }

  private answer(response: BatchResponse): void {
    const p = this.pending.get(response.id);
    if (!p) return;
    this.pending.delete(response.id);
    clearTimeout(p.timer);
    if (response.error) p.reject(fromBatchError(response.error));
    else p.resolve(resultOf(response));
  }

  forward(op: KvOp, deadlineMs: number): Promise<KvResult> {
    if (this.pending.size >= this.pendingMax) return Promise.reject(new OverloadedError('too many requests forwarded to the leader'));
    const id = this.nextId;
    this.nextId += 1;
    const timeoutMs = Math.max(1, deadlineMs - Date.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TimeoutError('forwarded request not answered before its deadline; it may still apply'));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      this.open().write({ id, [op.op]: op[op.op as keyof typeof op], timeoutMs } as unknown as BatchRequest);
    });
  }

  close(): void {
    this.stream?.cancel();
    this.client.close();
  }
}

function resultOf(response: BatchResponse): KvResult {
  if (response.put) return { op: 'put', put: response.put };
  if (response.get) return { op: 'get', get: response.get };
  if (response.delete) return { op: 'delete', delete: response.delete };
  if (response.range) return { op: 'range', range: response.range };
  if (response.txn) return { op: 'txn', txn: response.txn };
  throw new Error('batch response carries no result');
}

export class Forwarder {
  private readonly streams = new Map<string, LeaderStream>();

  constructor(
    private readonly protos: Protos,
    private readonly pendingMax: number,
  ) {}

  forward(address: string, op: KvOp, deadlineMs: number): Promise<KvResult> {
    let stream = this.streams.get(address);
    if (!stream) {
      stream = new LeaderStream(address, this.protos, this.pendingMax);
      this.streams.set(address, stream);
    }
    return stream.forward(op, deadlineMs);
  }

  close(): void {
    for (const stream of this.streams.values()) stream.close();
    this.streams.clear();
  }
}
