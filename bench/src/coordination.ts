/**
 * The coordination workloads (holdfast only: they use the SDK's leases, locks and fenced writes).
 *
 * lock: workers take one lock, write a fenced register twice with their token while holding it,
 * and release. The register's changes, as the bench's watch over every key told them (the applied
 * order, writes of unknown outcome included), must carry tokens that never go down: a write of an
 * older holder after a newer holder's is a stale token accepted, and two holders' writes
 * interleaving is exactly that. Tokens must be unique per acquisition. How often two workers held
 * the lock at once by their own clocks (a holder that lost its lease without knowing, under a
 * pause or a partition) is counted: those are the holds fencing made safe.
 *
 * lease: workers grant a lease, attach a key, keep the lease alive for a while, stop, and read the
 * key until it is gone. The key must not vanish before the send of the last answered keepalive
 * (or the grant) plus the TTL, minus the allowed clock step; it must vanish once abandoned. The
 * figures give how late after that bound it vanished (the expiry's accuracy under the faults).
 */
import type { HoldfastClient, LeaseKeepAlive, LockHolder } from '@holdfast/client';
import type { MonotonicClock } from './history.js';
import { sleep } from './target.js';
import type { WatchedChange } from './watch-check.js';
import { judgeWatchSessions, runWatchWorker, type WatchSession, type WatchSessionsVerdict, watchSessionFailures } from './watch-workload.js';

export type CoordinationKind = 'lock' | 'lease' | 'watch';

/** Every key the coordination workloads write starts with this (or is its fence key): the watch check leaves them out. */
export const COORDINATION_PREFIX = 'coord/';
export const FENCED_REGISTER_KEY = `${COORDINATION_PREFIX}register`;
const LOCK_NAME = `${COORDINATION_PREFIX}lock`;

export interface CoordinationOptions {
  readonly kinds: readonly CoordinationKind[];
  /** Workers per workload. */
  readonly workers: number;
  readonly lockTtlMs: number;
  readonly leaseTtlMs: { readonly min: number; readonly max: number };
  /** How far clocks may step between the client and the leader (same host: 0). */
  readonly clockStepMs: number;
  /** After the run: longest wait for every abandoned lease's key to vanish. */
  readonly expiryWaitMs: number;
}

export type SdkClientFactory = (options: { clientIndex: number; deadlineMs: number }) => HoldfastClient;

interface FencedWrite {
  readonly worker: number;
  readonly token: number;
  readonly value: string;
  readonly outcome: 'ok' | 'stale' | 'unknown';
}

interface Hold {
  readonly worker: number;
  readonly token: number;
  readonly acquiredAtMs: number;
  releasedAtMs: number;
}

export interface LeaseRecord {
  readonly worker: number;
  readonly id: number;
  readonly ttlMs: number;
  readonly key: string;
  /** Send time of the latest answered keepalive (or of the grant). */
  lastAnsweredSendMs: number;
  /** Completion of the first read that found the key gone; undefined while not seen gone. */
  goneSeenAtMs: number | undefined;
  /** Start of the last read that still found the key. */
  lastPresentReadAtMs: number;
}

export interface LockVerdict {
  acquisitions: number;
  fencedWritesOk: number;
  staleRefused: number;
  unknownWrites: number;
  /** Register changes whose token is below an earlier change's (a stale token accepted). */
  staleAccepted: string[];
  /** Tokens handed to two acquisitions. */
  duplicateTokens: number[];
  /** Times two workers held the lock at once by their own clocks (fencing kept those safe). */
  overlappingHolds: number;
  /** The register's changes the watch told. */
  registerChanges: number;
}

export interface LeaseVerdict {
  leases: number;
  keepAlivesAnswered: number;
  /** Leases whose key vanished before the last answered keepalive's send + TTL − clock step. */
  early: string[];
  /** Abandoned leases whose key never vanished. */
  neverExpired: string[];
  /** How late each key vanished after the earliest moment it could (ms): the expiry's accuracy. */
  latenessMs: { count: number; p50: number; p99: number; max: number };
  /** The latest few: when the key could first vanish, the last read that found it, the first that did not (ms of the run). */
  latest: string[];
}

export interface CoordinationVerdict {
  lock?: LockVerdict;
  lease?: LeaseVerdict;
  watch?: WatchSessionsVerdict;
  failures: string[];
}

/** Runs the chosen workloads until stop(), then judges them. */
export class CoordinationWorkloads {
  private stopping = false;
  private readonly runs: Promise<void>[] = [];
  private readonly clients: HoldfastClient[] = [];
  private readonly writes: FencedWrite[] = [];
  private readonly holds: Hold[] = [];
  private readonly leases: LeaseRecord[] = [];
  private keepAlivesAnswered = 0;
  private readonly watchSessions: WatchSession[] = [];
  private readonly watchStartsBehind: number[] = [];
  counters = { ok: 0, failed: 0 };

  constructor(
    private readonly options: CoordinationOptions,
    private readonly context: { clock: MonotonicClock; createClient: SdkClientFactory; random: () => number },
  ) {}

  start(): void {
    for (let worker = 0; worker < this.options.workers; worker++) {
      if (this.options.kinds.includes('lock')) this.runs.push(this.lockWorker(worker, this.client(100 + worker)));
      if (this.options.kinds.includes('lease')) this.runs.push(this.leaseWorker(worker, this.client(200 + worker)));
      if (this.options.kinds.includes('watch')) {
        this.runs.push(
          runWatchWorker({
            worker,
            client: this.client(400 + worker),
            random: this.context.random,
            stopping: () => this.stopping,
            sessions: this.watchSessions,
            startBehind: this.watchStartsBehind,
          }),
        );
      }
    }
  }

  /** Stops the workers (every lease they held is abandoned). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.runs);
  }

  /** Once the cluster is healed: waits for every abandoned lease's key to vanish, then closes the clients. */
  async drain(): Promise<void> {
    if (this.options.kinds.includes('lease')) await this.awaitExpiries();
    for (const client of this.clients) client.close();
  }

  judge(registerChanges: readonly WatchedChange[] | undefined): CoordinationVerdict {
    const failures: string[] = [];
    const verdict: CoordinationVerdict = { failures };
    if (this.options.kinds.includes('lock')) {
      const lock = this.judgeLock(registerChanges);
      verdict.lock = lock;
      if (registerChanges === undefined) failures.push('lock: no watch of the register to judge it by');
      if (lock.staleAccepted.length > 0) failures.push(`lock: ${lock.staleAccepted.length} stale fenced write(s) accepted: ${lock.staleAccepted.slice(0, 3).join('; ')}`);
      if (lock.duplicateTokens.length > 0) failures.push(`lock: token(s) ${lock.duplicateTokens.slice(0, 5).join(', ')} handed out twice`);
      if (lock.acquisitions === 0) failures.push('lock: the lock was never taken');
    }
    if (this.options.kinds.includes('lease')) {
      const lease = this.judgeLease();
      verdict.lease = lease;
      if (lease.early.length > 0) failures.push(`lease: ${lease.early.length} key(s) vanished before their TTL: ${lease.early.slice(0, 3).join('; ')}`);
      if (lease.neverExpired.length > 0) failures.push(`lease: ${lease.neverExpired.length} abandoned lease key(s) never vanished: ${lease.neverExpired.slice(0, 3).join('; ')}`);
      if (lease.leases === 0) failures.push('lease: no lease was granted');
    }
    if (this.options.kinds.includes('watch')) {
      // The reference is the watch over every key; without it nothing can be judged.
      const reference = registerChanges ?? [];
      verdict.watch = judgeWatchSessions({
        sessions: this.watchSessions,
        reference,
        referenceEndRevision: reference.at(-1)?.revision ?? 0,
        startBehind: this.watchStartsBehind,
      });
      failures.push(...watchSessionFailures(verdict.watch));
    }
    return verdict;
  }

  private client(index: number): HoldfastClient {
    const client = this.context.createClient({ clientIndex: index, deadlineMs: 5000 });
    this.clients.push(client);
    return client;
  }

  private now(): number {
    return this.context.clock.nowMs();
  }

  // ---- lock ----

  private async lockWorker(worker: number, client: HoldfastClient): Promise<void> {
    let sequence = 0;
    while (!this.stopping) {
      let holder: LockHolder;
      try {
        holder = await client.lock(LOCK_NAME, { ttlMs: this.options.lockTtlMs });
      } catch {
        this.counters.failed += 1;
        await sleep(100);
        continue;
      }
      const hold: Hold = { worker, token: holder.token, acquiredAtMs: this.now(), releasedAtMs: Number.POSITIVE_INFINITY };
      this.holds.push(hold);
      for (let write = 0; write < 2 && !this.stopping; write++) {
        sequence += 1;
        await this.fencedWrite(client, { worker, token: holder.token, value: `t${holder.token}-w${worker}-${sequence}` });
        await sleep(Math.floor(this.context.random() * 50));
      }
      hold.releasedAtMs = this.now();
      await holder.release().catch(() => undefined);
    }
  }

  private async fencedWrite(client: HoldfastClient, write: { worker: number; token: number; value: string }): Promise<void> {
    try {
      await client.put(FENCED_REGISTER_KEY, write.value, { ifFenceAtLeast: write.token });
      this.writes.push({ ...write, outcome: 'ok' });
      this.counters.ok += 1;
    } catch (error) {
      const stale = (error as { name?: string }).name === 'StaleFenceError';
      this.writes.push({ ...write, outcome: stale ? 'stale' : 'unknown' });
      this.counters.failed += 1;
    }
  }

  private judgeLock(changes: readonly WatchedChange[] | undefined): LockVerdict {
    const register = (changes ?? []).filter((change) => change.key === FENCED_REGISTER_KEY && change.type === 'put');
    const staleAccepted = staleTokensAccepted(register);
    const seen = new Map<number, number>();
    for (const hold of this.holds) seen.set(hold.token, (seen.get(hold.token) ?? 0) + 1);
    const duplicateTokens = [...seen].filter(([, count]) => count > 1).map(([token]) => token);
    return {
      acquisitions: this.holds.length,
      fencedWritesOk: this.writes.filter((w) => w.outcome === 'ok').length,
      staleRefused: this.writes.filter((w) => w.outcome === 'stale').length,
      unknownWrites: this.writes.filter((w) => w.outcome === 'unknown').length,
      staleAccepted,
      duplicateTokens,
      overlappingHolds: countOverlaps(this.holds),
      registerChanges: register.length,
    };
  }

  // ---- lease ----

  private async leaseWorker(worker: number, client: HoldfastClient): Promise<void> {
    let sequence = 0;
    while (!this.stopping) {
      sequence += 1;
      const { min, max } = this.options.leaseTtlMs;
      const ttlMs = Math.round(min + this.context.random() * (max - min));
      const grantSentMs = this.now();
      let id: number;
      try {
        id = (await client.lease.grant(ttlMs)).id;
      } catch {
        this.counters.failed += 1;
        await sleep(100);
        continue;
      }
      const record: LeaseRecord = { worker, id, ttlMs, key: `${COORDINATION_PREFIX}lease/${worker}/${sequence}`, lastAnsweredSendMs: grantSentMs, goneSeenAtMs: undefined, lastPresentReadAtMs: 0 };
      try {
        await client.put(record.key, String(id), { lease: id });
      } catch {
        this.counters.failed += 1;
        continue;
      }
      this.leases.push(record);
      this.counters.ok += 1;
      await this.keepAliveFor(client, record, Math.floor(this.context.random() * 3 * ttlMs));
      // Until it is gone, however long that takes: the lateness measured is then what a client sees.
      await this.readUntilGone(client, record, { untilMs: Number.POSITIVE_INFINITY, endOnStop: true });
    }
  }

  /**
   * Keeps the lease alive with the SDK's LeaseKeepAlive (a keepalive every TTL/3 over the client's
   * keepalive stream) for `durationMs`, or until the workload stops or the lease is lost. Each
   * answer's send time is `validUntilMs - ttlMs` on the process's wall clock, moved onto the
   * bench's monotonic clock (1 ms earlier, for the rounding of both clocks: the bound only gets
   * earlier, so no expiry is judged early by it).
   */
  private async keepAliveFor(client: HoldfastClient, record: LeaseRecord, durationMs: number): Promise<void> {
    const endMs = this.now() + durationMs;
    const wallToMonotonicMs = (): number => this.now() - Date.now();
    let keepAlive: LeaseKeepAlive;
    try {
      keepAlive = await client.lease.keepAlive(record.id, { ttlMs: record.ttlMs, sentAtMs: record.lastAnsweredSendMs - wallToMonotonicMs() });
    } catch {
      return;
    }
    const timer = setInterval(() => {
      if (this.stopping || this.now() >= endMs) keepAlive.close();
    }, 20);
    try {
      for await (const ack of keepAlive) {
        record.lastAnsweredSendMs = Math.max(record.lastAnsweredSendMs, ack.validUntilMs - ack.ttlMs + wallToMonotonicMs() - 1);
        this.keepAlivesAnswered += 1;
      }
    } catch {
      // Lost (not found, or no answer within the TTL): the key is read until gone all the same.
    } finally {
      clearInterval(timer);
      keepAlive.close();
    }
  }

  /** Reads the key (linearizable) until a read finds it gone, or `untilMs`. */
  private async readUntilGone(client: HoldfastClient, record: LeaseRecord, options: { untilMs: number; endOnStop: boolean }): Promise<void> {
    while (record.goneSeenAtMs === undefined && this.now() < options.untilMs && !(options.endOnStop && this.stopping)) {
      const startMs = this.now();
      try {
        const kv = await client.get(record.key, { deadlineMs: 2000 });
        if (kv === undefined) record.goneSeenAtMs = this.now();
        else record.lastPresentReadAtMs = startMs;
      } catch {
        // Unavailable for now: read again.
      }
      await sleep(20);
    }
  }

  private async awaitExpiries(): Promise<void> {
    const client = this.client(300);
    const deadline = this.now() + this.options.expiryWaitMs;
    for (const record of this.leases) {
      if (record.goneSeenAtMs !== undefined) continue;
      await this.readUntilGone(client, record, { untilMs: deadline, endOnStop: false });
    }
  }

  private judgeLease(): LeaseVerdict {
    return { ...judgeLeaseRecords(this.leases, this.options.clockStepMs), keepAlivesAnswered: this.keepAlivesAnswered };
  }
}

/** Register changes (in revision order) whose token is below one an earlier change carried. */
export function staleTokensAccepted(register: readonly WatchedChange[]): string[] {
  const staleAccepted: string[] = [];
  let highest = 0;
  let highestAt = 0;
  for (const change of register) {
    const token = tokenOf(change.value);
    if (token < highest) staleAccepted.push(`revision ${change.revision} wrote token ${token} after token ${highest} at revision ${highestAt}`);
    if (token > highest) {
      highest = token;
      highestAt = change.revision;
    }
  }
  return staleAccepted;
}

/** What the lease records say: keys gone too early, never gone, and how late they went. */
export function judgeLeaseRecords(records: readonly LeaseRecord[], clockStepMs: number): Omit<LeaseVerdict, 'keepAlivesAnswered'> {
  const early: string[] = [];
  const neverExpired: string[] = [];
  const lateness: number[] = [];
  for (const record of records) {
    const earliestMs = record.lastAnsweredSendMs + record.ttlMs;
    if (record.goneSeenAtMs === undefined) {
      neverExpired.push(`lease ${record.id} (${record.key}, TTL ${record.ttlMs} ms)`);
      continue;
    }
    if (record.goneSeenAtMs < earliestMs - clockStepMs) {
      early.push(`lease ${record.id} (TTL ${record.ttlMs} ms): ${record.key} read gone at ${record.goneSeenAtMs.toFixed(0)} ms, before ${earliestMs.toFixed(0)} ms`);
    }
    lateness.push(record.goneSeenAtMs - earliestMs);
  }
  const latest = records
    .filter((record) => record.goneSeenAtMs !== undefined)
    .sort((a, b) => b.goneSeenAtMs! - b.lastAnsweredSendMs - b.ttlMs - (a.goneSeenAtMs! - a.lastAnsweredSendMs - a.ttlMs))
    .slice(0, 3)
    .map(
      (record) =>
        `lease ${record.id} (TTL ${record.ttlMs} ms): could vanish from ${(record.lastAnsweredSendMs + record.ttlMs).toFixed(0)}, still read at ${record.lastPresentReadAtMs.toFixed(0)}, read gone at ${record.goneSeenAtMs!.toFixed(0)}`,
    );
  return { leases: records.length, early, neverExpired, latenessMs: summarize(lateness), latest };
}

function tokenOf(value: string): number {
  const match = /^t(\d+)-/.exec(value);
  return match === null ? 0 : Number(match[1]);
}

/** Pairs of holds of different workers whose intervals (by the workers' own clock) overlap. */
function countOverlaps(holds: readonly Hold[]): number {
  const sorted = [...holds].sort((a, b) => a.acquiredAtMs - b.acquiredAtMs);
  let overlaps = 0;
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length && sorted[j]!.acquiredAtMs < sorted[i]!.releasedAtMs; j++) {
      if (sorted[j]!.worker !== sorted[i]!.worker) overlaps += 1;
    }
  }
  return overlaps;
}

function summarize(values: readonly number[]): { count: number; p50: number; p99: number; max: number } {
  if (values.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number): number => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: Math.round(sorted[sorted.length - 1]!) };
}
