/**
 * What a member does when it finds its own state wrong: a record whose checksum fails (a read,
 * apply, the background scrub), or a state hash that a majority of the voters disagree with.
 * It never answers from such a state again: it raises an alarm (`holdfast status`, metrics, an
 * error log), refuses every read with `state-corrupt` (DATA_LOSS), and asks to be repaired
 * from the others through the RepairHook.
 */
import type { StateCorruptionError } from '@holdfast/storage';
import type { Logger } from 'pino';
import { StateCorruptError } from './errors.js';
import type { NodeMetrics } from './metrics.js';

/**
 * Repair from the others: wipe what cannot be trusted and catch up by a snapshot from the
 * leader. Implemented by the node's repair path; `requestRepair` may be called more than once
 * for one damage and must not block. Once the state has been replaced, the repair path calls
 * StateIntegrity.repaired() so the member serves reads again.
 */
export interface RepairHook {
  requestRepair(reason: string): void;
}

/** Alarms kept for `holdfast status`, newest last; older ones are dropped (the log keeps them all). */
const ALARMS_MAX = 16;

export interface StateIntegrityOptions {
  readonly logger: Logger;
  readonly metrics: NodeMetrics;
  readonly repair: RepairHook;
  readonly now?: () => number;
}

export class StateIntegrity {
  private readonly alarmList: string[] = [];
  /**
   * Why reads are refused; undefined while the state is trusted.
   * Invariant: once set, only repaired() clears it (after the state was replaced).
   */
  private refusal: string | undefined;
  /** The refusal came from damage this process found (not from a repair it started in). */
  private refusalFoundHere = true;

  constructor(private readonly options: StateIntegrityOptions) {}

  get readsRefused(): boolean {
    return this.refusal !== undefined;
  }

  alarms(): string[] {
    return [...this.alarmList];
  }

  /** Throws the `state-corrupt` refusal while reads are refused. */
  checkReadable(): void {
    if (this.refusal !== undefined) throw new StateCorruptError(`this member answers nothing from its state until it is repaired: ${this.refusal}`);
  }

  /** A damaged record or state was found by `where` (get, range, apply, scrub, snapshot). */
  stateDamaged(error: StateCorruptionError, where: string): StateCorruptError {
    this.options.metrics.stateCorruptions.inc({ where });
    const reason = `state damaged (${where}): ${error.message}`;
    this.options.logger.error({ where, key: error.key, reason: error.reason, path: error.path }, 'state record damaged; refusing reads and asking for repair');
    this.raise(reason);
    this.refuseReads(reason);
    return new StateCorruptError(`this member's state is damaged and it returns nothing from it: ${error.message}`);
  }

  /** Another member's hash at `index` disagrees with this member's (alarm only). */
  hashMismatch(message: string): void {
    this.options.metrics.stateHashMismatch.set(1);
    this.options.metrics.stateHashMismatches.inc();
    this.options.logger.error(message);
    this.raise(message);
  }

  /** Refuses reads from now on and asks for repair (once per refusal). */
  refuseReads(reason: string): void {
    if (this.refusal !== undefined) return;
    this.refusal = reason;
    this.raise(reason);
    this.options.metrics.readsRefused.set(1);
    this.options.repair.requestRepair(reason);
  }

  /**
   * This process started in a repair that dropped the state: what is left is not this member's
   * state at any index (empty until the leader's snapshot replaces it), so reads are refused until
   * repaired(), without asking for a repair again. No alarm: the damage was reported by the
   * process that found it (its log, metrics), and status shows the repair under way.
   */
  stateDroppedForRepair(reason: string): void {
    if (this.refusal !== undefined) return;
    this.refusal = `in repair: ${reason}`;
    this.refusalFoundHere = false;
    this.options.metrics.readsRefused.set(1);
  }

  /** The state was replaced by a repair: trusted again. */
  repaired(): void {
    const foundHere = this.refusalFoundHere;
    this.refusal = undefined;
    this.refusalFoundHere = true;
    this.options.metrics.readsRefused.set(0);
    this.options.metrics.stateHashMismatch.set(0);
    if (foundHere) this.raise('repaired: the state was replaced from the other members');
  }

  private raise(alarm: string): void {
    const at = new Date(this.options.now?.() ?? Date.now()).toISOString();
    if (this.alarmList[this.alarmList.length - 1]?.endsWith(alarm)) return;
    this.alarmList.push(`${at} ${alarm}`);
    if (this.alarmList.length > ALARMS_MAX) this.alarmList.shift();
  }
}
