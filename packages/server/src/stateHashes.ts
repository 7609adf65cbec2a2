/**
 * Members compare the hash of their state at the same applied index (etcd's corruption check,
 * made continuous and cheap by the incremental hash: packages/storage state-hash.ts). Every
 * member takes a checkpoint every K applied entries and sends its newest ones, with those it
 * heard from the others, on its peer batches (RaftBatch.state_checkpoints); through the leader
 * every member learns every member's. A hash that differs from this member's at the same index
 * raises an alarm naming both members and the index; when a majority of the voters agree on a
 * hash other than this member's, this member is the one in the minority: it refuses every read
 * and asks for repair (integrity.ts).
 */
import type { NodeId } from '@holdfast/raft';
import { formatHash, sameHash, type StateCheckpoint, type StateHash } from '@holdfast/storage';
import type { Logger } from 'pino';
import type { StateIntegrity } from './integrity.js';

/** A checkpoint as it travels (RaftBatch.state_checkpoints). */
export interface WireCheckpoint {
  readonly member: number;
  readonly index: number;
  readonly hashHigh: number;
  readonly hashLow: number;
}

/** Checkpoints are sent again this often even when none changed (a peer may have restarted). */
const RESEND_MS = 2000;
/** Members whose checkpoints are kept at most; more in one batch is refused. */
const MEMBERS_MAX = 64;

export interface StateHashComparisonOptions {
  readonly selfId: NodeId;
  /** Checkpoints kept per member (the newest). */
  readonly checkpointsKept: number;
  /**
   * The checkpoint interval (every member uses the same). Hashes at other indexes are a member's
   * state as it stands (see own): one of them is kept per member besides the checkpoints.
   */
  readonly checkpointEntries: number;
  /** The current voters, for the majority. */
  voters(): readonly NodeId[];
  readonly integrity: StateIntegrity;
  readonly logger: Logger;
  readonly nowMs: () => number;
}

export class StateHashComparison {
  /** Per member: index → hash; the newest checkpointsKept checkpoints and the newest other one. */
  private readonly table = new Map<NodeId, Map<number, StateHash>>();
  /** Bumped whenever the table changes: what peers were last sent is compared with it. */
  private version = 0;
  private readonly sent = new Map<NodeId, { version: number; atMs: number }>();
  /** Disagreements already reported, as `member@index`. */
  private readonly reported = new Set<string>();

  constructor(private readonly options: StateHashComparisonOptions) {}

  /**
   * This member's own hash after exactly `index`: a checkpoint its state machine took, or its
   * state as it stands (sent now and then, so that members that stopped at the same index, an idle
   * cluster or one just restarted, compare without waiting for the next checkpoint).
   */
  own(checkpoint: StateCheckpoint): void {
    if (this.remember(this.options.selfId, checkpoint.index, checkpoint.hash, true)) this.compareAt(checkpoint.index);
  }

  /** Checkpoints a peer sent: its own and those it heard of. Malformed ones are dropped. */
  heard(from: NodeId, checkpoints: readonly WireCheckpoint[]): void {
    const indexes = new Set<number>();
    for (const checkpoint of checkpoints.slice(0, MEMBERS_MAX * (this.options.checkpointsKept + 1))) {
      if (!isWellFormed(checkpoint) || checkpoint.member === this.options.selfId) continue;
      const hash = { high: checkpoint.hashHigh, low: checkpoint.hashLow };
      // A member's own report wins over what others relay of it.
      if (this.remember(checkpoint.member, checkpoint.index, hash, checkpoint.member === from)) indexes.add(checkpoint.index);
    }
    for (const index of indexes) this.compareAt(index);
  }

  /** What to send `to` on its next batch: every checkpoint known, when something changed or a while passed. */
  toSend(to: NodeId): WireCheckpoint[] {
    const now = this.options.nowMs();
    const last = this.sent.get(to);
    if (last !== undefined && last.version === this.version && now - last.atMs < RESEND_MS) return [];
    this.sent.set(to, { version: this.version, atMs: now });
    const out: WireCheckpoint[] = [];
    for (const [member, byIndex] of this.table) {
      if (member === to) continue;
      for (const [index, hash] of byIndex) out.push({ member, index, hashHigh: hash.high, hashLow: hash.low });
    }
    return out;
  }

  /** Forgets a removed member. */
  forget(member: NodeId): void {
    this.table.delete(member);
    this.sent.delete(member);
  }

  /** Stores a hash; false if it was known already (or too old to keep). */
  private remember(member: NodeId, index: number, hash: StateHash, authoritative: boolean): boolean {
    if (!this.table.has(member) && this.table.size >= MEMBERS_MAX) return false;
    let byIndex = this.table.get(member);
    if (byIndex === undefined) {
      byIndex = new Map();
      this.table.set(member, byIndex);
    }
    const known = byIndex.get(index);
    if (known !== undefined && (sameHash(known, hash) || !authoritative)) return false;
    byIndex.set(index, hash);
    const indexes = [...byIndex.keys()].sort((a, b) => a - b);
    const regular = indexes.filter((i) => i % this.options.checkpointEntries === 0);
    const other = indexes.filter((i) => i % this.options.checkpointEntries !== 0);
    for (const old of regular.slice(0, Math.max(0, regular.length - this.options.checkpointsKept))) byIndex.delete(old);
    for (const old of other.slice(0, Math.max(0, other.length - 1))) byIndex.delete(old);
    if (!byIndex.has(index)) return false;
    this.version += 1;
    return true;
  }

  private compareAt(index: number): void {
    const { selfId } = this.options;
    const mine = this.table.get(selfId)?.get(index);
    if (mine === undefined) return;
    for (const [member, byIndex] of this.table) {
      const theirs = byIndex.get(index);
      if (member === selfId || theirs === undefined || sameHash(mine, theirs)) continue;
      const key = `${member}@${index}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      this.options.integrity.hashMismatch(
        `state hash mismatch at index ${index}: member ${selfId} has ${formatHash(mine)}, member ${member} has ${formatHash(theirs)}`,
      );
    }
    this.judgeMajority(index, mine);
  }

  /** Refuses reads when a majority of the voters agree on a hash at `index` other than this member's. */
  private judgeMajority(index: number, mine: StateHash): void {
    const voters = this.options.voters();
    const byHash = new Map<string, NodeId[]>();
    for (const voter of voters) {
      const hash = this.table.get(voter)?.get(index);
      if (hash === undefined) continue;
      const key = formatHash(hash);
      byHash.set(key, [...(byHash.get(key) ?? []), voter]);
    }
    for (const [hash, members] of byHash) {
      if (hash === formatHash(mine) || members.length * 2 <= voters.length) continue;
      const reason = `in the minority of a state hash comparison at index ${index}: this member (${this.options.selfId}) has ${formatHash(mine)}, a majority of the voters (${members.join(', ')} of ${voters.join(', ')}) have ${hash}`;
      this.options.logger.error({ index, mine: formatHash(mine), majority: hash, members }, 'state hash in the minority; refusing reads and asking for repair');
      this.options.integrity.refuseReads(reason);
      return;
    }
  }
}

function isWellFormed(checkpoint: WireCheckpoint): boolean {
  const u32 = (value: number): boolean => Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff;
  return (
    Number.isSafeInteger(checkpoint.member) &&
    checkpoint.member > 0 &&
    Number.isSafeInteger(checkpoint.index) &&
    checkpoint.index > 0 &&
    u32(checkpoint.hashHigh) &&
    u32(checkpoint.hashLow)
  );
}
