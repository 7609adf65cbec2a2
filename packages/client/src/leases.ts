/**
 * Leases in the SDK: the calls (`client.lease.grant/revoke/keepAliveOnce/timeToLive/list`) and
 * the keepalive stream (`client.lease.keepAlive(id)`), which sends a keepalive every third of the
 * TTL and says, by its `lost` promise and its iteration, when the lease can no longer be counted
 * on.
 */
import { type HoldfastError, LeaseLostError, LeaseNotFoundError, toHoldfastError } from './errors.js';
import { headerFromWire, type ResponseHeader } from './values.js';

export interface LeaseGrantResult {
  header: ResponseHeader;
  id: number;
  ttlMs: number;
}

export interface LeaseRevokeResult {
  header: ResponseHeader;
  keysDeleted: number;
  /** The revision the keys were deleted at (the store's revision when there were none). */
  revision: number;
}

export interface LeaseTimeToLiveResult {
  id: number;
  ttlMs: number;
  /** What is left of the TTL by the leader's clock. */
  remainingMs: number;
  /** With `keys: true`: the keys attached. */
  keys: Uint8Array[];
}

export interface LeaseStatus {
  id: number;
  ttlMs: number;
  keys: number;
}

export interface KeepAliveOptions {
  /** Time between keepalives; default a third of the TTL. */
  intervalMs?: number;
  /**
   * When the grant (or the last answered keepalive) was sent (ms since the epoch): the lease is
   * held at least until then + TTL. Default: now, which is later than the truth by the grant's
   * round trip.
   */
  sentAtMs?: number;
}

/** One answered keepalive: the lease is held at least until `validUntilMs` (this process's clock). */
export interface KeepAliveAck {
  readonly ttlMs: number;
  readonly validUntilMs: number;
}

/** What the keepalive stream needs from the client. */
export interface KeepAliveTransport {
  /** One keepalive, within `deadlineMs`; resolves with the lease's TTL. */
  keepAliveOnce(id: number, deadlineMs: number): Promise<number>;
}

/** Wait between failed keepalives, so a cluster without a leader is not hammered. */
const retryMs = 200;
/** Acks kept for an iteration that does not keep up (older ones are dropped: only the latest matters). */
const acksBufferedMax = 16;

/**
 * Keeps a lease alive until close(), sending a keepalive every `intervalMs`. The lease counts
 * as held until `validUntilMs`: the send time of the last answered keepalive plus the TTL (the
 * leader started the TTL again after the keepalive was sent, so the lease lasts at least that
 * long). It is lost when the leader says the lease is gone, or when no keepalive was answered
 * before `validUntilMs` passed; `lost` then resolves with LeaseNotFoundError or LeaseLostError.
 */
export class LeaseKeepAlive implements AsyncIterable<KeepAliveAck> {
  readonly lost: Promise<HoldfastError>;
  private resolveLost: (error: HoldfastError) => void = () => {};
  private lostError: HoldfastError | undefined;
  private closed = false;
  private validUntil: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly acks: KeepAliveAck[] = [];
  private wake: (() => void) | undefined;

  constructor(
    readonly id: number,
    private readonly ttlMs: number,
    private readonly transport: KeepAliveTransport,
    private readonly options: KeepAliveOptions = {},
  ) {
    this.lost = new Promise((resolve) => {
      this.resolveLost = resolve;
    });
    this.validUntil = (options.sentAtMs ?? Date.now()) + ttlMs;
    void this.send();
  }

  /** The lease is held at least until then (ms since the epoch, this process's clock). */
  get validUntilMs(): number {
    return this.validUntil;
  }

  get isLost(): boolean {
    return this.lostError !== undefined;
  }

  /** Stops sending keepalives (the lease then expires after its TTL unless revoked). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<KeepAliveAck> {
    for (;;) {
      const ack = this.acks.shift();
      if (ack !== undefined) {
        yield ack;
        continue;
      }
      if (this.lostError !== undefined) throw this.lostError;
      if (this.closed) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  private get intervalMs(): number {
    return this.options.intervalMs ?? Math.max(50, Math.floor(this.ttlMs / 3));
  }

  private async send(): Promise<void> {
    if (this.closed || this.lostError !== undefined) return;
    const sentAt = Date.now();
    try {
      const ttlMs = await this.transport.keepAliveOnce(this.id, Math.max(sentAt + retryMs, this.validUntil));
      this.validUntil = Math.max(this.validUntil, sentAt + ttlMs);
      this.acks.push({ ttlMs, validUntilMs: this.validUntil });
      if (this.acks.length > acksBufferedMax) this.acks.shift();
      this.wake?.();
      this.schedule(this.intervalMs);
    } catch (thrown) {
      const error = toHoldfastError(thrown);
      if (error instanceof LeaseNotFoundError) {
        this.markLost(error);
        return;
      }
      if (Date.now() >= this.validUntil) {
        this.markLost(new LeaseLostError(`no keepalive of lease ${this.id} was answered within its TTL (last: ${error.message})`, { code: error.code, cause: error }));
        return;
      }
      this.schedule(retryMs);
    }
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer = setTimeout(() => void this.send(), delayMs);
  }

  private markLost(error: HoldfastError): void {
    if (this.lostError !== undefined) return;
    this.lostError = error;
    this.resolveLost(error);
    this.wake?.();
  }
}

export function grantResultFromWire(wire: { header: Parameters<typeof headerFromWire>[0]; id: number; ttlMs: number }): LeaseGrantResult {
  return { header: headerFromWire(wire.header), id: wire.id, ttlMs: wire.ttlMs };
}
