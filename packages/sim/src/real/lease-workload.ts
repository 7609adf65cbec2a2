/**
 * Leases under faults: a few leases at a time are granted, get a key attached, are kept alive for
 * a while and then abandoned. Two properties are judged:
 * - never early: the expiry that took effect was not proposed before the TTL had passed since the
 *   send of the last keepalive (or the grant) answered. Checked when the proposal that committed
 *   is known (its waiter was answered: a deposed leader's proposal that never commits is no
 *   decision) and again when an answer arrives later for an earlier send. Simulated clocks do
 *   not drift, so no clock step is allowed for.
 * - eventually: once healed, every abandoned lease is gone within its TTL, the extension a new
 *   leader gives and the expiry's retry (checked at the end of the run).
 * Leader changes come from the nemesis; the statistics count expiries decided by a leader of a
 * later term than the grant's.
 */
import type { KvOp, KvResult } from '@holdfast/server';
import type { Prng } from '@holdfast/raft';

interface TrackedLease {
  readonly id: number;
  readonly ttlMs: number;
  /** The term of the leader that answered the grant. */
  readonly grantTerm: number;
  /** Send time of the latest answered keepalive (or of the grant). */
  lastAckedSendMs: number;
  /** Keepalives stop at this time; the lease is abandoned then. */
  readonly keepUntilMs: number;
  phase: 'attach' | 'keep' | 'abandoned' | 'gone';
  nextKeepAliveMs: number;
  inFlight: boolean;
}

export interface LeaseWorkloadConfig {
  readonly ttlMsMin: number;
  readonly ttlMsMax: number;
  /** Leases granted and not yet abandoned, at most. */
  readonly activeMax: number;
  /** Chance per tick to grant a lease when fewer are active. */
  readonly startProbability: number;
  readonly tickMs: number;
  /**
   * The bound on members' clock-rate drift (a fraction; 0 without drift): a leader whose clock
   * runs fast ends a lease after ttl / (1 + drift) of true time, which is not early.
   */
  readonly clockDriftMax?: number;
}

export interface LeaseWorkloadStats {
  leasesGranted: number;
  leasesExpired: number;
  /** Expiries seen under a leader of a later term than the one that answered the grant. */
  leasesExpiredAfterLeaderChange: number;
  keepAlivesAnswered: number;
}

/** Sends one request to some member; rejects with the node's error. */
export type SendRequest = (op: KvOp) => Promise<KvResult>;

export class LeaseWorkload {
  private readonly leases = new Map<number, TrackedLease>();
  private granting = false;
  /** The clients stopped: a grant answered from now on is abandoned at once. */
  private stopped = false;
  /** When the leader proposed each lease's expiry that committed (simulated ms). */
  private readonly expiryProposedAtMs = new Map<number, number>();
  private violation: string | undefined;
  readonly stats: LeaseWorkloadStats = { leasesGranted: 0, leasesExpired: 0, leasesExpiredAfterLeaderChange: 0, keepAlivesAnswered: 0 };

  constructor(
    private readonly config: LeaseWorkloadConfig,
    private readonly random: Prng,
  ) {}

  /** The first broken property, if any. */
  get violated(): string | undefined {
    return this.violation;
  }

  /** Leases that must still expire. */
  get pendingCount(): number {
    let pending = 0;
    for (const lease of this.leases.values()) if (lease.phase !== 'gone') pending += 1;
    return pending;
  }

  /** The leases that must still expire, for a failure's message. */
  describePending(): string {
    const pending = [...this.leases.values()].filter((lease) => lease.phase !== 'gone');
    return pending.map((lease) => `lease ${lease.id} (TTL ${lease.ttlMs} ms, ${lease.phase}, last keepalive sent ${lease.lastAckedSendMs} ms)`).join(', ');
  }

  /** One tick of the clients: grant, attach, keep alive, abandon. */
  act(nowMs: number, send: SendRequest): void {
    this.maybeGrant(nowMs, send);
    for (const lease of this.leases.values()) {
      if (lease.phase === 'keep' && nowMs >= lease.keepUntilMs) lease.phase = 'abandoned';
      if (lease.inFlight) continue;
      if (lease.phase === 'attach') this.attach(lease, send);
      else if (lease.phase === 'keep' && nowMs >= lease.nextKeepAliveMs) this.keepAlive(lease, nowMs, send);
    }
  }

  /** The clients stop: every lease is abandoned and must expire. */
  abandonAll(): void {
    this.stopped = true;
    for (const lease of this.leases.values()) if (lease.phase !== 'gone') lease.phase = 'abandoned';
  }

  /** The expiry a leader proposed at `proposedAtMs` committed and ended the lease. */
  expiryCommitted(id: number, proposedAtMs: number): void {
    if (!this.expiryProposedAtMs.has(id)) this.expiryProposedAtMs.set(id, proposedAtMs);
    const lease = this.leases.get(id);
    if (lease !== undefined) this.checkNotEarly(lease);
  }

  /** What the leader's applied state says: a lease it no longer holds is gone. */
  observe(leader: { readonly term: number; lease(id: number): unknown } | undefined): void {
    if (leader === undefined) return;
    for (const lease of this.leases.values()) {
      if (lease.phase === 'gone' || lease.phase === 'attach' || leader.lease(lease.id) !== undefined) continue;
      lease.phase = 'gone';
      this.stats.leasesExpired += 1;
      if (leader.term > lease.grantTerm) this.stats.leasesExpiredAfterLeaderChange += 1;
    }
  }

  private checkNotEarly(lease: TrackedLease): void {
    const proposedAtMs = this.expiryProposedAtMs.get(lease.id);
    if (proposedAtMs === undefined || this.violation !== undefined) return;
    const earliestMs = lease.lastAckedSendMs + lease.ttlMs / (1 + (this.config.clockDriftMax ?? 0));
    if (proposedAtMs < earliestMs) {
      this.violation = `lease ${lease.id} (TTL ${lease.ttlMs} ms): expiry proposed at ${proposedAtMs} ms, before ${earliestMs} ms (a keepalive sent at ${lease.lastAckedSendMs} ms was answered)`;
    }
  }

  private maybeGrant(nowMs: number, send: SendRequest): void {
    let active = 0;
    for (const lease of this.leases.values()) if (lease.phase === 'attach' || lease.phase === 'keep') active += 1;
    if (this.granting || active >= this.config.activeMax || !this.random.chance(this.config.startProbability)) return;
    const ttlMs = this.config.tickMs * this.random.int(Math.ceil(this.config.ttlMsMin / this.config.tickMs), Math.floor(this.config.ttlMsMax / this.config.tickMs));
    const keepForMs = this.random.int(0, 3 * ttlMs);
    this.granting = true;
    send({ op: 'leaseGrant', leaseGrant: { ttlMs, id: 0, session: null } }).then(
      (result) => {
        this.granting = false;
        if (result.op !== 'leaseGrant') return;
        this.stats.leasesGranted += 1;
        const { id } = result.leaseGrant;
        this.leases.set(Number(id), {
          id: Number(id),
          ttlMs,
          grantTerm: Number(result.leaseGrant.header?.term ?? 0),
          lastAckedSendMs: nowMs,
          keepUntilMs: nowMs + keepForMs,
          phase: this.stopped ? 'abandoned' : 'attach',
          nextKeepAliveMs: nowMs,
          inFlight: false,
        });
      },
      () => {
        this.granting = false;
      },
    );
  }

  private attach(lease: TrackedLease, send: SendRequest): void {
    lease.inFlight = true;
    const key = Buffer.from(`lease/${lease.id}`);
    send({ op: 'put', put: { key, value: key, ifAbsent: false, ifModRevision: 0, prevKv: false, session: null, lease: lease.id, ifFenceAtLeast: 0 } }).then(
      () => {
        lease.inFlight = false;
        if (lease.phase === 'attach') lease.phase = 'keep';
      },
      (error: unknown) => {
        lease.inFlight = false;
        if (isLeaseNotFound(error) && lease.phase === 'attach') lease.phase = 'abandoned';
      },
    );
  }

  private keepAlive(lease: TrackedLease, sentAtMs: number, send: SendRequest): void {
    lease.inFlight = true;
    send({ op: 'leaseKeepAlive', leaseKeepAlive: { id: lease.id } }).then(
      () => {
        lease.inFlight = false;
        this.stats.keepAlivesAnswered += 1;
        lease.lastAckedSendMs = Math.max(lease.lastAckedSendMs, sentAtMs);
        lease.nextKeepAliveMs = sentAtMs + Math.floor(lease.ttlMs / 3);
        this.checkNotEarly(lease);
      },
      (error: unknown) => {
        lease.inFlight = false;
        lease.nextKeepAliveMs = sentAtMs + 5 * this.config.tickMs;
        if (isLeaseNotFound(error) && lease.phase === 'keep') lease.phase = 'abandoned';
      },
    );
  }
}

function isLeaseNotFound(error: unknown): boolean {
  return (error as { kind?: unknown }).kind === 'lease-not-found';
}
