/**
 * Node-to-node transport. Two links carry the same msgpackr-encoded Raft messages, many per
 * frame, with a bounded queue per peer and reconnect with backoff: the TCP link (peerLink/:
 * length-prefixed frames on one connection per peer, TLS when the cluster runs it) and one
 * long-lived gRPC bidirectional stream per peer. Which one this member dials with is
 * --peer-transport; the peer port answers both (peerLink/listener.ts), and the TCP link falls
 * back to gRPC towards a peer that speaks only gRPC (a member of an earlier release). Raft
 * retransmits on its own, so a full queue drops messages and reports the peer unreachable
 * instead of growing. Snapshots travel in chunks on a connection or call of their own.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Message, NodeId } from '@holdfast/raft';
import type { PeerCertificate } from 'node:tls';
import { MEMBER_URI_PREFIX, memberIdsOfCertificate } from './tls.js';
import { type BatchLimits, decodeBatch, decodeSnapshotMessage, encodeMessages, PeerInputError, PeerRejectLog } from './peerInput.js';
import type { Hello } from './peerLink/frames.js';
import type { LinkInbound } from './peerLink/listener.js';
import { frameBytesMaxFor, TcpPeerLink } from './peerLink/tcpSender.js';
import { type PeerLink, SNAPSHOT_STALL_MS, StallWatch, type TransportOptions } from './peerLink/types.js';
import { PeerQueue } from './peerLink/peerQueue.js';
import type {
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
export type { TransportHandlers, TransportOptions } from './peerLink/types.js';
export { UNREACHABLE_WARN_AFTER_MS, UNREACHABLE_WARN_EVERY_MS, UnreachableLog } from './peerLink/unreachable.js';

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

type RaftStream = grpc.ClientDuplexStream<RaftBatch, RaftAck__Output>;

/**
 * A new stream whose first batch is not acknowledged this soon is given up and dialled again:
 * a connection to an address nobody holds any more (a restarted container's old one) may hang
 * far longer than keepalive covers before the kernel gives up on it.
 */
const FIRST_ACK_WAIT_MS = 1000;
/** The sending side towards one peer over gRPC. */
class GrpcPeerLink implements PeerLink {
  private client: RaftClient | undefined;
  private address = '';
  private stream: RaftStream | undefined;
  private readonly queue: PeerQueue;
  private waitingForDrain = false;
  private snapshotInFlight = false;
  private closed = false;

  constructor(
    private readonly peerId: NodeId,
    private readonly options: TransportOptions,
  ) {
    this.queue = new PeerQueue(peerId, options);
  }

  get depth(): number {
    return this.queue.depth;
  }

  /** Queues a message; `flush` writes what is queued as one frame. */
  enqueue(message: Message): void {
    if (this.closed) return;
    if (message.type === 'snapshot') {
      this.sendSnapshot(message);
      return;
    }
    this.queue.admit(message);
  }

  flush(): void {
    if (this.closed || this.waitingForDrain || this.queue.depth === 0) return;
    const stream = this.ensureStream();
    if (!stream) {
      this.queue.dropAll();
      return;
    }
    const messages = this.queue.take();
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
    this.queue.reportDepth();
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
    if (this.queue.backingOff()) return undefined;
    const client = this.connectClient();
    if (!client) return undefined;
    const stream = client.stream();
    this.stream = stream;
    const firstAckWait = setTimeout(() => stream.cancel(), FIRST_ACK_WAIT_MS);
    stream.on('data', (ack: RaftAck__Output) => {
      clearTimeout(firstAckWait);
      this.queue.answered();
      if (ack.error !== '') this.options.logger.warn({ peer: this.peerId, error: ack.error }, 'peer refused the raft stream');
    });
    const drop = (error?: Error): void => {
      clearTimeout(firstAckWait);
      if (this.stream !== stream) return;
      this.stream = undefined;
      this.waitingForDrain = false;
      this.queue.backOff();
      if (this.closed) return;
      this.options.logger.debug({ peer: this.peerId, error: error?.message }, 'raft stream closed; will reconnect');
      this.queue.failedAt(this.address, error?.message);
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
    let finish: (error: Error | null, ack?: SnapshotAck__Output) => void = () => {};
    const answered = new Promise<SnapshotAck__Output>((resolve, reject) => {
      finish = (error, ack) => (error ? reject(error) : resolve(ack as SnapshotAck__Output));
    });
    // Awaited after the last chunk; a failure before then (the call failed, or stalled) ends the writes.
    answered.catch(() => {});
    const call = client.sendSnapshot((error, ack) => finish(error, ack));
    const stallMs = this.options.snapshotStallMs ?? SNAPSHOT_STALL_MS;
    let stalled = false;
    const watch = new StallWatch(stallMs, () => {
      stalled = true;
      finish(new Error(`the snapshot made no progress for ${stallMs} ms`));
      call.cancel();
      call.emit('drain');
    });
    const write = async (chunk: SnapshotChunk): Promise<void> => {
      if (stalled) throw new Error(`the snapshot made no progress for ${stallMs} ms`);
      if (!call.write(chunk)) await new Promise<void>((resolve) => call.once('drain', () => resolve()));
      watch.progress();
    };
    try {
      await this.writeSnapshot(message, write);
      call.end();
      const ack = await answered;
      if (!ack.ok) throw new Error(`peer refused the snapshot: ${ack.error}`);
    } finally {
      watch.stop();
    }
  }

  private async writeSnapshot(message: Message, write: (chunk: SnapshotChunk) => Promise<void>): Promise<void> {
    const { selfId, clusterId, handlers } = this.options;
    const head = { clusterId, from: selfId, to: this.peerId, message: encodeMessages([message]) };
    await write({ ...head, data: new Uint8Array(), last: false });
    // Each state-machine chunk travels whole: the chunks check themselves and must not be split.
    for await (const data of handlers.readSnapshot(message)) {
      await write({ clusterId: '', from: 0, to: 0, message: new Uint8Array(), data, last: false });
    }
    await write({ clusterId: '', from: 0, to: 0, message: new Uint8Array(), data: new Uint8Array(), last: true });
  }

  close(): void {
    this.closed = true;
    this.queue.clear();
    this.stream?.cancel();
    this.stream = undefined;
    this.client?.close();
  }
}

/** How long the TCP link sends over gRPC to a peer that speaks only gRPC before it tries the TCP link again. */
export const GRPC_FALLBACK_MS = 60_000;

/**
 * The TCP link towards one peer, and gRPC instead while that peer speaks only gRPC (a member of
 * an earlier release during a rolling upgrade): the greeting it answered says so at once.
 */
class TcpWithGrpcFallback implements PeerLink {
  private readonly tcp: TcpPeerLink;
  private grpc: GrpcPeerLink | undefined;
  private grpcUntilMs = 0;

  constructor(
    private readonly peerId: NodeId,
    private readonly options: TransportOptions,
  ) {
    this.tcp = new TcpPeerLink(peerId, options, { speaksOnlyGrpc: (problem, queued) => this.fallBack(problem, queued) });
    options.handlers.peerLinkChanged?.(peerId, 'tcp');
  }

  get depth(): number {
    return this.active().depth;
  }

  enqueue(message: Message): void {
    this.active().enqueue(message);
  }

  flush(): void {
    this.active().flush();
  }

  probe(): void {
    if (this.active() === this.tcp) this.tcp.probe();
  }

  close(): void {
    this.tcp.close();
    this.grpc?.close();
  }

  private active(): PeerLink {
    if (this.grpc === undefined) return this.tcp;
    if (Date.now() < this.grpcUntilMs) return this.grpc;
    this.grpc.close();
    this.grpc = undefined;
    this.options.handlers.peerLinkChanged?.(this.peerId, 'tcp');
    return this.tcp;
  }

  private fallBack(problem: string, queued: readonly Message[]): void {
    if (this.grpc === undefined) this.options.logger.info({ peer: this.peerId, problem, retryTcpAfterMs: GRPC_FALLBACK_MS }, 'peer speaks only gRPC; sending to it over gRPC');
    if (this.grpc === undefined) this.options.handlers.peerLinkChanged?.(this.peerId, 'grpc');
    this.grpc ??= new GrpcPeerLink(this.peerId, this.options);
    const grpc = this.grpc;
    this.grpcUntilMs = Date.now() + GRPC_FALLBACK_MS;
    for (const message of queued) grpc.enqueue(message);
    grpc.flush();
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

/** State hash checkpoints one link frame may carry (stateHashes.ts reads fewer). */
const LINK_CHECKPOINTS_MAX = 4096;

/** `prod-kv` and `prod-kv@3`: one cluster, two epochs (cluster-identity.ts nextClusterEpoch). */
function sameClusterOtherEpoch(a: string, b: string): boolean {
  const base = (id: string): string => id.replace(/@\d+$/, '');
  return base(a) === base(b);
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

  /** An empty batch to each of `ids` on the TCP link (its ack times the round trip); nothing on gRPC. */
  probe(ids: readonly NodeId[]): void {
    for (const id of ids) this.linkTo(id).probe?.();
  }

  /** Forget a removed member's link. */
  dropPeer(id: NodeId): void {
    this.links.get(id)?.close();
    this.links.delete(id);
  }

  private linkTo(id: NodeId): PeerLink {
    let link = this.links.get(id);
    if (!link) {
      if (this.options.peerTransport === 'grpc') {
        link = new GrpcPeerLink(id, this.options);
        this.options.handlers.peerLinkChanged?.(id, 'grpc');
      } else {
        link = new TcpWithGrpcFallback(id, this.options);
      }
      this.links.set(id, link);
    }
    return link;
  }

  /** What the peer listener hands a TCP link's input to: checked and counted as a gRPC stream's. */
  linkInbound(): LinkInbound {
    const limits = this.limits;
    return {
      frameBytesMax: frameBytesMaxFor(this.options.messageBytesMax),
      checkpointsMax: LINK_CHECKPOINTS_MAX,
      ...(this.options.snapshotStallMs === undefined ? {} : { snapshotStallMs: this.options.snapshotStallMs }),
      refusal: (hello: Hello, certified) => this.refusal(hello, certified),
      heardHello: (hello: Hello) => {
        this.options.handlers.heardApplyVersion?.(hello.from, hello.applyVersion);
        // Only the Raft link's hello: a snapshot connection's says the same, and a raft one always comes first.
        if (hello.purpose === 'raft') this.options.handlers.heardReadTerms?.(hello.from, hello.readTerms);
      },
      heardCheckpoints: (from, checkpoints) => this.options.handlers.heardCheckpoints?.(from, checkpoints as RaftBatch__Output['stateCheckpoints']),
      deliverBatch: (from, bytes, address) => {
        const decoded = decodeBatch(bytes, { from, to: this.options.selfId }, limits);
        for (const problem of decoded.rejected) this.rejectLog.reject({ id: String(from), address }, problem);
        if (decoded.messages.length > 0 && this.options.handlers.deliver(decoded.messages) === false) {
          this.rejectLog.reject({ id: String(from), address }, new PeerInputError('inbox-full', `${decoded.messages.length} messages dropped: this member's inbox is full`));
        }
      },
      receiveSnapshot: async (from, messageBytes, chunks, address) => {
        try {
          const message = decodeSnapshotMessage(messageBytes, { from, to: this.options.selfId }, limits);
          await this.options.handlers.receiveSnapshot(message, chunks);
          if (this.options.handlers.deliver([message]) === false) throw new PeerInputError('inbox-full', "the snapshot message was dropped: this member's inbox is full");
        } catch (error) {
          if (error instanceof PeerInputError) this.rejectLog.reject({ id: String(from), address }, error);
          else this.options.logger.warn({ peer: from, error: (error as Error).message }, 'snapshot from a peer not installed');
          throw error;
        }
      },
      reject: (from, address, error) => this.rejectLog.reject({ id: String(from), address }, error),
    };
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

  /** Why a stream, link or snapshot call is refused as a whole, or '' when it is for this member. */
  private refusal(batch: { clusterId: string; from: number; to: number }, certified?: readonly number[] | string): string {
    if (typeof certified === 'string') return certified;
    if (batch.clusterId !== this.options.clusterId && sameClusterOtherEpoch(batch.clusterId, this.options.clusterId)) {
      return `cluster id ${JSON.stringify(batch.clusterId)} is not this cluster's ${JSON.stringify(this.options.clusterId)}: another epoch of this cluster; a member from before or after a recovery (holdfast recover) is refused`;
    }
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
