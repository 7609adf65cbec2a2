/**
 * Node-to-node transport: one long-lived gRPC bidirectional stream per peer, many
 * msgpackr-encoded Raft messages per frame, a bounded queue per peer, reconnect with backoff.
 * Raft retransmits on its own, so a full queue drops messages and reports the peer unreachable
 * instead of growing. Snapshots travel in chunks on their own call (SendSnapshot).
 */
import type * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from '@holdfast/raft';
import type { PeerCertificate } from 'node:tls';
import type { Logger } from 'pino';
import { MEMBER_URI_PREFIX, memberIdsOfCertificate } from './tls.js';
import { type BatchLimits, decodeBatch, decodeSnapshotMessage, encodeMessages, PeerInputError, PeerRejectLog } from './peerInput.js';
import type {
  Protos,
  RaftAck,
  RaftAck__Output,
  RaftClient,
  RaftBatch,
  RaftBatch__Output,
  SnapshotAck,
  SnapshotAck__Output,
  SnapshotChunk,
  SnapshotChunk__Output,
} from '@holdfast/protocol';

export { encodeMessages } from './peerInput.js';

export const CHANNEL_OPTIONS: grpc.ChannelOptions = {
  'grpc.keepalive_time_ms': 2000,
  'grpc.keepalive_timeout_ms': 2000,
  'grpc.keepalive_permit_without_calls': 1,
  'grpc.max_receive_message_length': 256 * 1024 * 1024,
  'grpc.max_send_message_length': 256 * 1024 * 1024,
  'grpc.initial_reconnect_backoff_ms': 50,
  'grpc.max_reconnect_backoff_ms': 1000,
  // A member whose container or pod restarts comes back under the same name at a new address.
  // grpc-js resolves a name again when a connection fails, but at most once per this interval
  // (default 30 s): a failure while the member was still down would pin the old address that long.
  'grpc.dns_min_time_between_resolutions_ms': 250,
  // Raft retransmits on its own and the forwarder's writes carry sessions: gRPC's retry layer
  // would only buffer a copy of every message. Channelz bookkeeping is never read here.
  'grpc.enable_retries': 0,
  'grpc.enable_channelz': 0,
};

export interface TransportHandlers {
  /** Messages from peers, in arrival order; false when they were dropped (the inbox is full). */
  deliver(messages: Message[]): boolean | undefined;
  /** A message to `to` was dropped; the core should stop optimistic replication to it. */
  reportUnreachable(to: NodeId): void;
  /** The link to `to` failed (false) or carried traffic again (true). */
  peerReachable?(to: NodeId, reachable: boolean): void;
  reportSnapshot(to: NodeId, ok: boolean): void;
  /** Data chunks of the snapshot a leader sends with `message`. */
  readSnapshot(message: Message): AsyncIterable<Uint8Array>;
  /** Stage the received snapshot; resolves once `message` may be stepped into the core. */
  receiveSnapshot(message: Message, chunks: AsyncIterable<Uint8Array>): Promise<void>;
  queueDepthChanged?(to: NodeId, depth: number): void;
  /** A peer's batches say its release implements apply versions up to `version` (0: 1). */
  heardApplyVersion?(from: NodeId, version: number): void;
  /** State hash checkpoints to send `to` with the next batch (stateHashes.ts); empty: none. */
  checkpointsFor?(to: NodeId): RaftBatch['stateCheckpoints'];
  /** State hash checkpoints a peer's batch carried. */
  heardCheckpoints?(from: NodeId, checkpoints: RaftBatch__Output['stateCheckpoints']): void;
  /** Peer input was dropped (a message, a batch, a snapshot call) for `reason` (peerInput.ts). */
  rejected?(reason: string): void;
  /** Whether `id` is in this member's current membership; absent: every sender id is. */
  isMember?(id: NodeId): boolean;
}

export interface TransportOptions {
  readonly selfId: NodeId;
  readonly clusterId: string;
  readonly protos: Protos;
  /** How to dial peers (plaintext, or TLS with this node's certificate: tls.ts). */
  readonly dialCredentials: grpc.ChannelCredentials;
  /** How to dial one peer, when it differs (TLS: the peer's certificate must name it). */
  readonly dialCredentialsFor?: (id: NodeId) => grpc.ChannelCredentials;
  /**
   * TLS is on: every call on the peer port must show a certificate that names a member
   * (`holdfast://member/<id>`, tls.ts), and every batch must come from that member.
   */
  readonly requireMemberCertificates?: boolean;
  readonly logger: Logger;
  readonly peerQueueMessagesMax: number;
  /**
   * What a received message may hold: entriesBytesMax is this member's messageBytesMax (a leader
   * sends no more), snapshotDataBytesMax bounds the snapshot handle (the state streams apart).
   * A batch holds at most peerQueueMessagesMax messages.
   */
  readonly messageBytesMax: number;
  /** The newest apply version this member's release implements, sent with every batch. */
  readonly applyVersion: number;
  /** Where to dial a peer (dial override, or its advertised peer address); undefined if unknown. */
  readonly addressOf: (id: NodeId) => string | undefined;
  readonly handlers: TransportHandlers;
}

type RaftStream = grpc.ClientDuplexStream<RaftBatch, RaftAck__Output>;

const BACKOFF_MS_MIN = 50;
/**
 * A failed dial costs little (a refused connection, or FIRST_ACK_WAIT_MS on an address nobody
 * holds), while every millisecond of backoff delays a restarted member's first heartbeat.
 */
const BACKOFF_MS_MAX = 250;
/**
 * A new stream whose first batch is not acknowledged this soon is given up and dialled again:
 * a connection to an address nobody holds any more (a restarted container's old one) may hang
 * far longer than keepalive covers before the kernel gives up on it.
 */
const FIRST_ACK_WAIT_MS = 1000;
/** A peer unreachable this long is logged (a restart or an election takes less)... */
export const UNREACHABLE_WARN_AFTER_MS = 2000;
/** ...and then at most this often while it stays unreachable. */
export const UNREACHABLE_WARN_EVERY_MS = 30_000;

/**
 * Tells when a peer stays unreachable: one warning once it has failed for
 * UNREACHABLE_WARN_AFTER_MS, then one per UNREACHABLE_WARN_EVERY_MS, and one line when it answers again.
 */
export class UnreachableLog {
  /** When the current run of failures started; undefined while the peer answers. */
  private failingSinceMs: number | undefined;
  private failures = 0;
  /** When this run of failures was last logged; undefined: not yet. */
  private warnedAtMs: number | undefined;
  /** What `changed` was last told; undefined before the first outcome. */
  private reported: boolean | undefined;

  constructor(
    private readonly peerId: NodeId,
    private readonly logger: Logger,
    private readonly changed: ((reachable: boolean) => void) | undefined,
  ) {}

  failed(address: string, error: string | undefined, nowMs: number): void {
    this.failingSinceMs ??= nowMs;
    this.report(false);
    this.failures += 1;
    const downMs = nowMs - this.failingSinceMs;
    if (downMs < UNREACHABLE_WARN_AFTER_MS) return;
    if (this.warnedAtMs !== undefined && nowMs - this.warnedAtMs < UNREACHABLE_WARN_EVERY_MS) return;
    this.warnedAtMs = nowMs;
    this.logger.warn({ peer: this.peerId, address, downMs, failures: this.failures, error }, 'peer unreachable');
  }

  answered(nowMs: number): void {
    this.report(true);
    if (this.failingSinceMs === undefined) return;
    if (this.warnedAtMs !== undefined) this.logger.info({ peer: this.peerId, downMs: nowMs - this.failingSinceMs }, 'peer reachable again');
    this.failingSinceMs = undefined;
    this.failures = 0;
    this.warnedAtMs = undefined;
  }

  private report(reachable: boolean): void {
    if (this.reported === reachable) return;
    this.reported = reachable;
    this.changed?.(reachable);
  }
}

/** The sending side towards one peer. */
class PeerLink {
  private client: RaftClient | undefined;
  private address = '';
  private stream: RaftStream | undefined;
  private queue: Message[] = [];
  private waitingForDrain = false;
  private backoffMs = BACKOFF_MS_MIN;
  private retryAt = 0;
  private snapshotInFlight = false;
  private closed = false;
  private readonly unreachable: UnreachableLog;

  constructor(
    private readonly peerId: NodeId,
    private readonly options: TransportOptions,
  ) {
    const changed = options.handlers.peerReachable;
    this.unreachable = new UnreachableLog(peerId, options.logger, changed && ((reachable) => changed(peerId, reachable)));
  }

  get depth(): number {
    return this.queue.length;
  }

  /** Queues a message; `flush` writes what is queued as one frame. */
  enqueue(message: Message): void {
    if (this.closed) return;
    if (message.type === 'snapshot') {
      this.sendSnapshot(message);
      return;
    }
    if (this.queue.length >= this.options.peerQueueMessagesMax || Date.now() < this.retryAt) {
      this.options.handlers.reportUnreachable(this.peerId);
      return;
    }
    this.queue.push(message);
  }

  flush(): void {
    if (this.closed || this.waitingForDrain || this.queue.length === 0) return;
    const stream = this.ensureStream();
    if (!stream) {
      this.queue = [];
      this.options.handlers.reportUnreachable(this.peerId);
      return;
    }
    const messages = this.queue;
    this.queue = [];
    const batch: RaftBatch = {
      clusterId: this.options.clusterId,
      from: this.options.selfId,
      to: this.peerId,
      messages: encodeMessages(messages),
      applyVersion: this.options.applyVersion,
      stateCheckpoints: this.options.handlers.checkpointsFor?.(this.peerId) ?? [],
    };
    if (!stream.write(batch)) {
      this.waitingForDrain = true;
      stream.once('drain', () => {
        this.waitingForDrain = false;
        this.flush();
      });
    }
    this.options.handlers.queueDepthChanged?.(this.peerId, this.queue.length);
  }

  private connectClient(): RaftClient | undefined {
    const address = this.options.addressOf(this.peerId);
    if (address === undefined) return undefined;
    if (this.client && address === this.address) return this.client;
    this.client?.close();
    this.address = address;
    const credentials = this.options.dialCredentialsFor?.(this.peerId) ?? this.options.dialCredentials;
    this.client = new this.options.protos.RaftClient(address, credentials, CHANNEL_OPTIONS);
    return this.client;
  }

  /**
   * The next attempt dials a new channel, so a peer's name is resolved again: a member that
   * restarted elsewhere (a container's new address) is reached as soon as its name says so,
   * whatever the old channel's resolver cached. A snapshot still streaming on the old channel
   * finishes on it.
   */
  private redialLater(client: RaftClient): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.address = '';
    if (!this.snapshotInFlight) client.close();
  }

  private ensureStream(): RaftStream | undefined {
    if (this.stream) return this.stream;
    if (Date.now() < this.retryAt) return undefined;
    const client = this.connectClient();
    if (!client) return undefined;
    const stream = client.stream();
    this.stream = stream;
    const firstAckWait = setTimeout(() => stream.cancel(), FIRST_ACK_WAIT_MS);
    stream.on('data', (ack: RaftAck__Output) => {
      clearTimeout(firstAckWait);
      this.backoffMs = BACKOFF_MS_MIN;
      this.unreachable.answered(Date.now());
      if (ack.error !== '') this.options.logger.warn({ peer: this.peerId, error: ack.error }, 'peer refused the raft stream');
    });
    const drop = (error?: Error): void => {
      clearTimeout(firstAckWait);
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.waitingForDrain = false;
      this.retryAt = Date.now() + this.backoffMs;
      this.backoffMs = Math.min(BACKOFF_MS_MAX, this.backoffMs * 2);
      if (this.closed) return;
      this.options.logger.debug({ peer: this.peerId, error: error?.message }, 'raft stream closed; will reconnect');
      this.unreachable.failed(this.address, error?.message, Date.now());
      this.redialLater(client);
      this.options.handlers.reportUnreachable(this.peerId);
    };
    stream.on('error', drop);
    stream.on('end', () => drop());
    stream.on('close', () => drop());
    return stream;
  }

  private sendSnapshot(message: Message): void {
    if (this.snapshotInFlight) return;
    const client = this.connectClient();
    if (!client) {
      this.options.handlers.reportSnapshot(this.peerId, false);
      return;
    }
    this.snapshotInFlight = true;
    const done = (): void => {
      this.snapshotInFlight = false;
      // The raft stream failed meanwhile and left this channel to the snapshot: it is done with it.
      if (client !== this.client) client.close();
    };
    this.streamSnapshot(client, message).then(
      () => {
        done();
        this.options.handlers.reportSnapshot(this.peerId, true);
      },
      (error: unknown) => {
        done();
        this.options.logger.warn({ peer: this.peerId, error: (error as Error).message }, 'snapshot send failed');
        this.options.handlers.reportSnapshot(this.peerId, false);
        this.options.handlers.reportUnreachable(this.peerId);
      },
    );
  }

  private async streamSnapshot(client: RaftClient, message: Message): Promise<void> {
    const { selfId, clusterId, handlers } = this.options;
    let finish: (error: Error | null, ack?: SnapshotAck__Output) => void = () => {};
    const answered = new Promise<SnapshotAck__Output>((resolve, reject) => {
      finish = (error, ack) => (error ? reject(error) : resolve(ack as SnapshotAck__Output));
    });
    const call = client.sendSnapshot((error, ack) => finish(error, ack));
    const write = async (chunk: SnapshotChunk): Promise<void> => {
      if (!call.write(chunk)) await new Promise<void>((resolve) => call.once('drain', () => resolve()));
    };
    const head = { clusterId, from: selfId, to: this.peerId, message: encodeMessages([message]) };
    await write({ ...head, data: new Uint8Array(), last: false });
    // Each state-machine chunk travels whole: the chunks check themselves and must not be split.
    for await (const data of handlers.readSnapshot(message)) {
      await write({ clusterId: '', from: 0, to: 0, message: new Uint8Array(), data, last: false });
    }
    await write({ clusterId: '', from: 0, to: 0, message: new Uint8Array(), data: new Uint8Array(), last: true });
    call.end();
    const ack = await answered;
    if (!ack.ok) throw new Error(`peer refused the snapshot: ${ack.error}`);
  }

  close(): void {
    this.closed = true;
    this.queue = [];
    this.stream?.cancel();
    this.stream = undefined;
    this.client?.close();
  }
}

/** Chunks of a SendSnapshot call after the first, as a stream that ends at `last`. */
async function* snapshotData(call: grpc.ServerReadableStream<SnapshotChunk__Output, SnapshotAck>): AsyncIterable<Uint8Array> {
  for await (const chunk of call as AsyncIterable<SnapshotChunk__Output>) {
    if (chunk.data.length > 0) yield chunk.data;
    if (chunk.last) return;
  }
  throw new PeerInputError('snapshot-framing', 'snapshot stream ended before its last chunk');
}

export class Transport {
  private readonly links = new Map<NodeId, PeerLink>();
  private readonly inbound = new Set<grpc.ServerDuplexStream<RaftBatch__Output, RaftAck>>();
  private readonly rejectLog: PeerRejectLog;

  constructor(private readonly options: TransportOptions) {
    this.rejectLog = new PeerRejectLog(options.logger, (reason) => options.handlers.rejected?.(reason));
  }

  /**
   * Sends at once, one frame per peer: the messages of one Ready come in one call, and waiting
   * for a later turn of the event loop would only add to every round trip (the leader goes on
   * to encode its own log write right after sending).
   */
  send(messages: readonly Message[]): void {
    const touched = new Set<PeerLink>();
    for (const message of messages) {
      const link = this.linkTo(message.to);
      link.enqueue(message);
      touched.add(link);
    }
    for (const link of touched) link.flush();
  }

  queueDepth(to: NodeId): number {
    return this.links.get(to)?.depth ?? 0;
  }

  /** Forget a removed member's link. */
  dropPeer(id: NodeId): void {
    this.links.get(id)?.close();
    this.links.delete(id);
  }

  private linkTo(id: NodeId): PeerLink {
    let link = this.links.get(id);
    if (!link) {
      link = new PeerLink(id, this.options);
      this.links.set(id, link);
    }
    return link;
  }

  /** The Raft service implementation to add to the peer gRPC server. */
  serviceImplementation(): grpc.UntypedServiceImplementation {
    return {
      Stream: (call: grpc.ServerDuplexStream<RaftBatch__Output, RaftAck>) => this.handleStream(call),
      SendSnapshot: (
        call: grpc.ServerReadableStream<SnapshotChunk__Output, SnapshotAck>,
        callback: grpc.sendUnaryData<SnapshotAck>,
      ) => {
        this.handleSnapshot(call).then(
          () => callback(null, { ok: true, error: '' }),
          (error: unknown) => callback(null, { ok: false, error: (error as Error).message }),
        );
      },
    };
  }

  /**
   * Who the certificate of a call on the peer port says the caller is: undefined without TLS, the
   * member ids it names (a member's names only itself), or why the call is refused (it names no
   * member: a client's certificate).
   */
  private certifiedSender(call: { getAuthContext(): { sslPeerCertificate?: PeerCertificate } }): readonly number[] | string | undefined {
    if (this.options.requireMemberCertificates !== true) return undefined;
    const ids = memberIdsOfCertificate(call.getAuthContext().sslPeerCertificate);
    if (ids.length > 0) return ids;
    return `the certificate names no member (${MEMBER_URI_PREFIX}<id>): a client's certificate is refused on the peer port`;
  }

  /** Why a stream or snapshot call is refused as a whole, or '' when it is for this member. */
  private refusal(batch: { clusterId: string; from: number; to: number }, certified?: readonly number[] | string): string {
    if (typeof certified === 'string') return certified;
    if (batch.clusterId !== this.options.clusterId) {
      return `cluster id ${JSON.stringify(batch.clusterId)} is not this cluster's ${JSON.stringify(this.options.clusterId)}: a member of another cluster, or of this one from before a recovery (holdfast recover), is refused`;
    }
    if (batch.to !== this.options.selfId) return `this is member ${this.options.selfId}, not ${batch.to}`;
    const isMemberId = Number.isSafeInteger(batch.from) && batch.from > 0;
    if (!isMemberId || batch.from === this.options.selfId) return `sender ${batch.from} is not another member`;
    if (certified !== undefined && !certified.includes(batch.from)) return `the certificate names member ${certified.join(', ')}, but the batch says it is from member ${batch.from}`;
    if (this.options.handlers.isMember?.(batch.from) === false) return `sender ${batch.from} is not a member of this cluster`;
    return '';
  }

  private get limits(): BatchLimits {
    const { messageBytesMax, peerQueueMessagesMax } = this.options;
    return { entriesBytesMax: messageBytesMax, snapshotDataBytesMax: messageBytesMax, batchMessagesMax: peerQueueMessagesMax };
  }

  private handleStream(call: grpc.ServerDuplexStream<RaftBatch__Output, RaftAck>): void {
    this.inbound.add(call);
    const state = { batches: 0, applyVersion: -1, ended: false, certified: this.certifiedSender(call) };
    call.on('data', (batch: RaftBatch__Output) => {
      // Once refused, the stream is over for this member: what the sender still writes is ignored.
      if (state.ended) return;
      try {
        this.receiveBatch(call, batch, state);
      } catch (error) {
        // A fault of this member's own code: the batch is lost (Raft retransmits), the member lives.
        this.reject(call, batch.from, new PeerInputError('internal', (error as Error).stack ?? String(error)));
      }
    });
    const forget = (): void => {
      this.inbound.delete(call);
    };
    call.on('end', () => {
      forget();
      call.end();
    });
    call.on('error', forget);
    call.on('close', forget);
  }

  private receiveBatch(
    call: grpc.ServerDuplexStream<RaftBatch__Output, RaftAck>,
    batch: RaftBatch__Output,
    state: { batches: number; applyVersion: number; ended: boolean; certified: readonly number[] | string | undefined },
  ): void {
    const refusal = this.refusal(batch, state.certified);
    if (refusal !== '') {
      this.reject(call, batch.from, new PeerInputError('refused', refusal));
      state.ended = true;
      this.endStream(call, state.batches, refusal);
      return;
    }
    state.batches += 1;
    if (batch.applyVersion !== state.applyVersion) {
      state.applyVersion = batch.applyVersion;
      this.options.handlers.heardApplyVersion?.(batch.from, state.applyVersion);
    }
    if (batch.stateCheckpoints.length > 0) this.options.handlers.heardCheckpoints?.(batch.from, batch.stateCheckpoints);
    let decoded: { messages: Message[]; rejected: PeerInputError[] };
    try {
      decoded = decodeBatch(batch.messages, { from: batch.from, to: this.options.selfId }, this.limits);
    } catch (error) {
      if (!(error instanceof PeerInputError)) throw error;
      // The framing itself is bad: nothing later on this stream can be trusted to line up.
      this.reject(call, batch.from, error);
      state.ended = true;
      this.endStream(call, state.batches, error.message);
      return;
    }
    for (const problem of decoded.rejected) this.reject(call, batch.from, problem);
    if (decoded.messages.length > 0 && this.options.handlers.deliver(decoded.messages) === false) {
      this.reject(call, batch.from, new PeerInputError('inbox-full', `${decoded.messages.length} messages dropped: this member's inbox is full`));
    }
    if (state.batches % 256 === 1) call.write({ batches: state.batches, error: '' });
  }

  private endStream(call: grpc.ServerDuplexStream<RaftBatch__Output, RaftAck>, batches: number, error: string): void {
    call.write({ batches, error });
    call.end();
  }

  private reject(call: { getPeer(): string }, from: number, error: PeerInputError): void {
    this.rejectLog.reject({ id: String(from), address: call.getPeer() }, error);
  }

  /**
   * A snapshot call: the first chunk names the sender and holds the snapshot message, the rest
   * stream the state. Bad input is counted and logged here; a restore that fails on the state
   * itself (a damaged chunk) is logged too. Either way only this transfer fails.
   */
  private async handleSnapshot(call: grpc.ServerReadableStream<SnapshotChunk__Output, SnapshotAck>): Promise<void> {
    const iterator = (call as AsyncIterable<SnapshotChunk__Output>)[Symbol.asyncIterator]();
    let from = 0;
    try {
      const first = await iterator.next();
      if (first.done) throw new PeerInputError('snapshot-framing', 'empty snapshot call');
      from = first.value.from;
      const refusal = this.refusal(first.value, this.certifiedSender(call));
      if (refusal !== '') throw new PeerInputError('refused', refusal);
      const message = decodeSnapshotMessage(first.value.message, { from, to: this.options.selfId }, this.limits);
      const rest: AsyncIterable<SnapshotChunk__Output> = { [Symbol.asyncIterator]: () => iterator };
      const chunks = snapshotData(rest as unknown as grpc.ServerReadableStream<SnapshotChunk__Output, SnapshotAck>);
      await this.options.handlers.receiveSnapshot(message, chunks);
      // The state is in; the leader sends the message again if it is dropped here.
      if (this.options.handlers.deliver([message]) === false) throw new PeerInputError('inbox-full', "the snapshot message was dropped: this member's inbox is full");
    } catch (error) {
      if (error instanceof PeerInputError) this.reject(call, from, error);
      else this.options.logger.warn({ peer: from, error: (error as Error).message }, 'snapshot from a peer not installed');
      throw error;
    }
  }

  close(): void {
    for (const link of this.links.values()) link.close();
    this.links.clear();
    for (const call of this.inbound) call.end();
    this.inbound.clear();
  }
}
