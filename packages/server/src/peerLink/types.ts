/** What the peer transport is given and whom it tells (transport.ts; both links use these). */
import type * as grpc from '@grpc/grpc-js';
import type { Protos, RaftBatch, RaftBatch__Output } from '@holdfast/protocol';
import type { Message, NodeId } from '@holdfast/raft';
import type { Logger } from 'pino';
import type { PeerTransportKind } from '../config.js';
import type { TlsMaterial } from '../tls.js';
import type { ReadTerms } from './frames.js';
import type { PeerNameResolver } from './peerNames.js';

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
  /** The link carrying messages to `to` is now this one (a fallback to gRPC, or back to the TCP link). */
  peerLinkChanged?(to: NodeId, link: PeerTransportKind): void;
  /** A peer's TCP link hello told its side of a read lease (absent from an earlier release: `undefined`). */
  heardReadTerms?(from: NodeId, terms: ReadTerms | undefined): void;
  /** A peer's batches say its release implements apply versions up to `version` (0: 1). */
  heardApplyVersion?(from: NodeId, version: number): void;
  /** State hash checkpoints to send `to` with the next batch (stateHashes.ts); empty: none. */
  checkpointsFor?(to: NodeId): RaftBatch['stateCheckpoints'];
  /** State hash checkpoints a peer's batch carried. */
  heardCheckpoints?(from: NodeId, checkpoints: RaftBatch__Output['stateCheckpoints']): void;
  /** Peer input was dropped (a message, a batch, a snapshot call) for `reason` (peerInput.ts). */
  rejected?(reason: string): void;
  /**
   * A round trip to `to` was timed on the link (a batch to its ack, less the time the listener
   * held the ack; TCP link only), in ms.
   */
  roundTripMeasured?(to: NodeId, rttMs: number): void;
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
  /** This member's side of a read lease, sent in every TCP link hello (frames.ts ReadTerms). */
  readonly readTerms?: ReadTerms;
  /** Where to dial a peer (dial override, or its advertised peer address); undefined if unknown. */
  readonly addressOf: (id: NodeId) => string | undefined;
  readonly handlers: TransportHandlers;
  /**
   * Which link this member dials peers with: 'tcp' (frames.ts; falls back to gRPC towards a peer
   * that speaks only gRPC) or 'grpc'. Whatever it is, the peer port answers both. Default 'tcp'.
   */
  readonly peerTransport?: PeerTransportKind;
  /** The cluster's TLS material (the TCP link's TLS); undefined: plaintext. */
  readonly tls?: TlsMaterial;
  /** A peer's certificate did not name the member dialled (TCP link; gRPC reports through dialCredentialsFor). */
  readonly identityRefused?: (peer: NodeId, problem: string) => void;
  /**
   * How long a snapshot transfer may make no progress (no chunk taken by the peer, no result after
   * the last) before it is abandoned and reported failed, so the next one can start. Default
   * SNAPSHOT_STALL_MS.
   */
  readonly snapshotStallMs?: number;
  /** Resolves peers' host names for the TCP link; default: the process's (peerNames.ts). */
  readonly peerNames?: PeerNameResolver;
}

/**
 * A snapshot transfer that made no progress for this long has stalled (a peer that stopped
 * reading, a half-open connection): only one transfer runs per peer, so without an end a stalled
 * one would hold back every later snapshot to that peer. Far above the pause a healthy receiver
 * makes (writing a chunk; swapping the state in after the last), which takes seconds at most.
 */
export const SNAPSHOT_STALL_MS = 60_000;

/**
 * Calls `stalled` once when `progress()` has not been called for `stallMs` (counting from the
 * start); `stop()` ends the watch.
 */
export class StallWatch {
  private timer: NodeJS.Timeout;

  constructor(
    private readonly stallMs: number,
    private readonly stalled: () => void,
  ) {
    this.timer = setTimeout(this.stalled, this.stallMs);
  }

  progress(): void {
    this.timer.refresh();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}


/** The sending side towards one peer, whichever link carries it. */
export interface PeerLink {
  /** Messages queued and not yet written. Invariant: <= peerQueueMessagesMax. */
  readonly depth: number;
  /** Queues a message (a snapshot starts its own transfer); `flush` writes what is queued. */
  enqueue(message: Message): void;
  flush(): void;
  /** An empty batch, whose ack times the round trip (TCP link); dials the peer if need be. Absent: not timed. */
  probe?(): void;
  close(): void;
}

