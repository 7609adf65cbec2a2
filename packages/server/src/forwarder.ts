/**
 * Forwards client requests from a follower to the leader over one Batch stream per leader
 * address (marked `holdfast-forwarded` so the leader never forwards them again). Requests are
 * answered by id; a broken stream fails what it carried with a retryable error (the writes carry
 * sessions, so a retry applies once).
 */
import * as grpc from '@grpc/grpc-js';
import { fromBatchError, NoLeaderError, OverloadedError, TimeoutError } from './errors.js';
import {
  type BatchRequest__Output as BatchRequest,
  type BatchRequests__Output as BatchRequests,
  type BatchResponse__Output as BatchResponse,
  type BatchResponses__Output as BatchResponses,
  FRAME_BYTES_MAX,
  FrameOutbox,
  type KVClient,
  type Protos,
  requestBytes,
} from '@holdfast/protocol';
import type { KvOp, KvResult } from './requests.js';
import { CHANNEL_OPTIONS } from './transport.js';

export const FORWARDED_METADATA = 'holdfast-forwarded';

interface Pending {
  readonly resolve: (result: KvResult) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

type BatchCall = grpc.ClientDuplexStream<BatchRequests, BatchResponses>;

/** How to reach the leader: the services, the channel credentials and, while auth is on, this member's token. */
export interface LeaderDial {
  readonly protos: Protos;
  readonly credentials: grpc.ChannelCredentials;
  /**
   * Metadata naming this member (a member token) while auth is on: the leader takes the
   * requests this member checked as this member's. Undefined while auth is off.
   */
  readonly authorization?: () => string | undefined;
}

class LeaderStream {
  private client: KVClient;
  private stream: BatchCall | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly outbox: FrameOutbox<BatchRequest>;
  /** Whether the open stream was opened with a member token (auth on); it is replaced when auth is switched. */
  private openedWithAuthorization = false;

  constructor(
    readonly address: string,
    private readonly dial: LeaderDial,
    private readonly pendingMax: number,
    framesOpsMax: number,
  ) {
    this.client = new dial.protos.KvClient(address, dial.credentials, CHANNEL_OPTIONS);
    // The request count per frame follows the leader's batchMessageRequestsMax.
    this.outbox = new FrameOutbox<BatchRequest>({
      itemsMax: framesOpsMax,
      bytesMax: FRAME_BYTES_MAX,
      write: (requests) => this.open().write({ requests }),
    });
  }

  private open(): BatchCall {
    if (this.stream) return this.stream;
    const metadata = new grpc.Metadata();
    metadata.set(FORWARDED_METADATA, '1');
    const authorization = this.dial.authorization?.();
    if (authorization !== undefined) metadata.set('authorization', authorization);
    this.openedWithAuthorization = authorization !== undefined;
    const stream = this.client.batch(metadata);
    this.stream = stream;
    stream.on('data', (frame: BatchResponses) => {
      for (const response of frame.responses) this.answer(response);
    });
    const fail = (): void => {
      if (this.stream !== stream) return;
      this.stream = undefined;
      // The next stream dials a new channel, which resolves the leader's name again: a leader
      // that restarted at a new address (a container's) is found at once, not when grpc-js'
      // cached resolution expires.
      this.client.close();
      this.client = new this.dial.protos.KvClient(this.address, this.dial.credentials, CHANNEL_OPTIONS);
      // Requests not yet written are failed below with the rest: never send them later.
      this.outbox.discard();
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

  /**
   * A stream opened before auth was switched on (or off) is ended (what it carries is still
   * answered on it) and the next request opens one that says who this member is.
   */
  maybeReopen(authOn: boolean): void {
    const stream = this.stream;
    if (stream === undefined || this.openedWithAuthorization === authOn) return;
    this.outbox.flush();
    this.stream = undefined;
    stream.end();
  }

  forward(op: KvOp, deadlineMs: number, authRevision: number | undefined): Promise<KvResult> {
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
      const checkedAuth = authRevision === undefined ? null : { revision: authRevision };
      const request = { id, [op.op]: op[op.op as keyof typeof op], timeoutMs, checkedAuth } as unknown as BatchRequest;
      this.outbox.push(request, requestBytes(request));
    });
  }

  close(): void {
    this.outbox.discard();
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
  if (response.leaseGrant) return { op: 'leaseGrant', leaseGrant: response.leaseGrant };
  if (response.leaseRevoke) return { op: 'leaseRevoke', leaseRevoke: response.leaseRevoke };
  if (response.leaseKeepAlive) return { op: 'leaseKeepAlive', leaseKeepAlive: response.leaseKeepAlive };
  if (response.leaseTimeToLive) return { op: 'leaseTimeToLive', leaseTimeToLive: response.leaseTimeToLive };
  if (response.leaseList) return { op: 'leaseList', leaseList: response.leaseList };
  if (response.compact) return { op: 'compact', compact: response.compact };
  throw new Error('batch response carries no result');
}

export class Forwarder {
  private readonly streams = new Map<string, LeaderStream>();

  constructor(
    /** The services, and how to dial the leader (plaintext, or TLS with this node's certificate). */
    private readonly dial: LeaderDial & { readonly authOn?: () => boolean },
    private readonly pendingMax: number,
    /** The leader's batchMessageRequestsMax (members share their limits). */
    private readonly framesOpsMax: number,
  ) {}

  /** `authRevision`: the auth revision this member checked the request against (see BatchRequest.checked_auth). */
  forward(address: string, op: KvOp, deadlineMs: number, authRevision?: number): Promise<KvResult> {
    let stream = this.streams.get(address);
    if (!stream) {
      stream = new LeaderStream(address, this.dial, this.pendingMax, this.framesOpsMax);
      this.streams.set(address, stream);
    }
    stream.maybeReopen(this.dial.authOn?.() ?? false);
    return stream.forward(op, deadlineMs, authRevision);
  }

  close(): void {
    for (const stream of this.streams.values()) stream.close();
    this.streams.clear();
  }
}
