/**
 * What both peer links (TCP, peerLink/tcpSender.ts, and gRPC, transport.ts) keep per peer: the
 * bounded queue of messages not yet written, its admission rule, the redial backoff and the
 * unreachable log. Raft retransmits on its own, so a message that finds the queue full or the
 * link backing off is dropped and the peer reported unreachable instead of the queue growing.
 */
import type { Message, NodeId } from '@holdfast/raft';
import type { TransportOptions } from './types.js';
import { UnreachableLog } from './unreachable.js';

export const BACKOFF_MS_MIN = 50;
/**
 * A failed dial costs little (a refused connection, or the link's first-answer wait on an
 * address nobody holds), while every millisecond of backoff delays a restarted member's first
 * heartbeat.
 */
export const BACKOFF_MS_MAX = 250;

export class PeerQueue {
  /** Invariant: at most options.peerQueueMessagesMax. */
  private messages: Message[] = [];
  private backoffMs = BACKOFF_MS_MIN;
  /** No message is admitted, and no dial made, before this (ms since the epoch). */
  private retryAtMs = 0;
  private readonly unreachable: UnreachableLog;

  constructor(
    private readonly peerId: NodeId,
    private readonly options: Pick<TransportOptions, 'peerQueueMessagesMax' | 'handlers' | 'logger'>,
  ) {
    const changed = options.handlers.peerReachable;
    this.unreachable = new UnreachableLog(peerId, options.logger, changed && ((reachable) => changed(peerId, reachable)));
  }

  get depth(): number {
    return this.messages.length;
  }

  /** Queues a message, or drops it and reports the peer unreachable when the queue is full or the link backs off. */
  admit(message: Message): void {
    if (this.messages.length >= this.options.peerQueueMessagesMax || this.backingOff()) {
      this.options.handlers.reportUnreachable(this.peerId);
      return;
    }
    this.messages.push(message);
    if (this.messages.length > this.options.peerQueueMessagesMax) {
      throw new Error(`peer ${this.peerId} queue holds ${this.messages.length} messages, over ${this.options.peerQueueMessagesMax}`);
    }
  }

  /** Every queued message, oldest first; the queue is empty after. */
  take(): Message[] {
    const taken = this.messages;
    this.messages = [];
    return taken;
  }

  /** Drops what is queued (the link is down): the peer is reported unreachable once. */
  dropAll(): void {
    if (this.messages.length === 0) return;
    this.messages = [];
    this.options.handlers.reportUnreachable(this.peerId);
    this.options.handlers.queueDepthChanged?.(this.peerId, 0);
  }

  /** Empties the queue without a report (the link closes, or hands the messages to another link). */
  clear(): void {
    this.messages = [];
  }

  reportDepth(): void {
    this.options.handlers.queueDepthChanged?.(this.peerId, this.messages.length);
  }

  /** Whether the link waits before dialling again (after a failure). */
  backingOff(): boolean {
    return Date.now() < this.retryAtMs;
  }

  /** The peer answered: the next failure backs off from the minimum again. */
  answered(): void {
    this.backoffMs = BACKOFF_MS_MIN;
    this.unreachable.answered(Date.now());
  }

  /** The link failed: wait the backoff before dialling again, doubling it up to BACKOFF_MS_MAX. */
  backOff(): void {
    this.retryAtMs = Date.now() + this.backoffMs;
    this.backoffMs = Math.min(BACKOFF_MS_MAX, this.backoffMs * 2);
  }

  /** Counts the failure towards the unreachable log (a warning once it lasts). */
  failedAt(address: string, error: string | undefined): void {
    this.unreachable.failed(address, error, Date.now());
  }
}
