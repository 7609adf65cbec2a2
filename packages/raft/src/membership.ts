/**
 * Membership: applying one ConfChange to a ConfState, the bootstrap log, and the history of
 * configurations the core keeps for the uncommitted part of its log.
 *
 * A configuration takes effect on every node as soon as its confChange entry is in that node's
 * log (appended, not yet committed), as in §4.1 of the Raft dissertation. See README.md for why
 * this is safe with one change at a time.
 */
import { ConfChangeInvalidError, invariant } from './errors.js';
import type { ConfChange, ConfState, Entry, HardState, NodeId } from './types.js';

export const EMPTY_CONF_STATE: ConfState = { voters: [], learners: [] };

export function isNodeId(id: unknown): id is NodeId {
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
}

/**
 * The membership after `change`. Throws ConfChangeInvalidError when the change does not apply:
 * adding a present member, promoting a non-learner, removing an absent member or the last voter.
 * Demoting a voter to learner is not supported (remove it, then add it as a learner).
 */
export function applyConfChange(conf: ConfState, change: ConfChange): ConfState {
  const id = change.nodeId;
  if (!isNodeId(id)) throw new ConfChangeInvalidError(`node id ${String(id)} is not a positive safe integer`);
  const isVoter = conf.voters.includes(id);
  const isLearner = conf.learners.includes(id);
  const without = (list: readonly NodeId[]): NodeId[] => list.filter((member) => member !== id);
  const sorted = (list: NodeId[]): NodeId[] => list.sort((a, b) => a - b);
  switch (change.type) {
    case 'addVoter':
      if (isVoter) throw new ConfChangeInvalidError(`node ${id} is already a voter`);
      // Adding a learner as a voter promotes it, as etcd does.
      return { voters: sorted([...conf.voters, id]), learners: without(conf.learners) };
    case 'addLearner':
      if (isVoter) throw new ConfChangeInvalidError(`node ${id} is a voter; remove it before adding it as a learner`);
      if (isLearner) throw new ConfChangeInvalidError(`node ${id} is already a learner`);
      return { voters: [...conf.voters], learners: sorted([...conf.learners, id]) };
    case 'promoteLearner':
      if (!isLearner) throw new ConfChangeInvalidError(`node ${id} is not a learner`);
      return { voters: sorted([...conf.voters, id]), learners: without(conf.learners) };
    case 'removeNode':
      if (!isVoter && !isLearner) throw new ConfChangeInvalidError(`node ${id} is not a member`);
      if (isVoter && conf.voters.length === 1) throw new ConfChangeInvalidError(`node ${id} is the last voter`);
      return { voters: without(conf.voters), learners: without(conf.learners) };
    default:
      throw new ConfChangeInvalidError(`unknown change type ${String((change as { type: unknown }).type)}`);
  }
}

/**
 * The log every initial member writes before its first start: one addVoter entry per voter at
 * term 1, indexes 1..n, in ascending id order so every member writes the identical log. Because
 * membership lives in the log, a member added later with an empty log learns the whole
 * configuration from these entries (or from a snapshot that covers them).
 */
export function bootstrapEntries(voters: readonly NodeId[]): Entry[] {
  const ids = [...voters].sort((a, b) => a - b);
  if (ids.length === 0) throw new ConfChangeInvalidError('bootstrap needs at least one voter');
  for (const [position, id] of ids.entries()) {
    if (!isNodeId(id)) throw new ConfChangeInvalidError(`bootstrap voter ${String(id)} is not a positive safe integer`);
    if (position > 0 && ids[position - 1] === id) throw new ConfChangeInvalidError(`bootstrap voter ${id} is listed twice`);
  }
  return ids.map((nodeId, position) => ({
    type: 'confChange',
    term: 1,
    index: position + 1,
    change: { type: 'addVoter', nodeId },
  }));
}

/**
 * The hard state that goes with bootstrapEntries: term 1, no vote, and the bootstrap entries
 * committed (they are identical on every initial member, so any leader holds them).
 */
export function bootstrapHardState(voters: readonly NodeId[]): HardState {
  return { term: 1, vote: 0, commit: bootstrapEntries(voters).length };
}

/** The membership of a fresh log, for tests and for checks. */
export function confStateOf(entries: readonly Entry[], base: ConfState = EMPTY_CONF_STATE): ConfState {
  let conf = base;
  for (const entry of entries) if (entry.type === 'confChange') conf = applyConfChange(conf, entry.change);
  return conf;
}

interface ConfPoint {
  readonly index: number;
  readonly conf: ConfState;
}

/**
 * The configurations in force at each confChange entry of the log, oldest first.
 * Invariant: indexes strictly increase; the first point is the base (snapshot or compaction
 * point), later points are confChange entries still in the log.
 */
export class ConfHistory {
  private points: ConfPoint[];

  constructor(baseIndex: number, baseConf: ConfState) {
    this.points = [{ index: baseIndex, conf: baseConf }];
  }

  current(): ConfState {
    return this.last().conf;
  }

  /** Index of the latest confChange entry (or the base index). */
  lastIndex(): number {
    return this.last().index;
  }

  push(index: number, change: ConfChange): ConfState {
    const last = this.last();
    invariant(index > last.index, 'conf changes are appended in index order', { index, lastIndex: last.index });
    const conf = applyConfChange(last.conf, change);
    this.points.push({ index, conf });
    return conf;
  }

  /** The log was cut at `index` (entries >= index replaced): forget changes made there. */
  truncateFrom(index: number): boolean {
    let changed = false;
    while (this.points.length > 1 && this.last().index >= index) {
      this.points.pop();
      changed = true;
    }
    return changed;
  }

  /**
   * A leader's snapshot replaced the log after `committed`. Points up to `committed` stay (they
   * describe committed entries, identical everywhere, which the driver may still be applying);
   * the snapshot's membership follows them.
   */
  restore(committed: number, snapshotIndex: number, snapshotConf: ConfState): void {
    invariant(snapshotIndex > committed, 'a snapshot is installed past the commit index', { snapshotIndex, committed });
    this.truncateFrom(committed + 1);
    this.points.push({ index: snapshotIndex, conf: snapshotConf });
  }

  oldestIndex(): number {
    return this.points[0]!.index;
  }

  /** The membership as of `index`. Valid for indexes at or after the oldest point kept. */
  at(index: number): ConfState {
    const first = this.points[0]!;
    invariant(index >= first.index, 'membership asked for before the oldest kept point', {
      index,
      oldestIndex: first.index,
    });
    let found = first;
    for (const point of this.points) {
      if (point.index > index) break;
      found = point;
    }
    return found.conf;
  }

  /** Forget points no longer needed: keep the newest one at or below `index` and all after it. */
  pruneTo(index: number): void {
    while (this.points.length > 1 && this.points[1]!.index <= index) this.points.shift();
  }

  private last(): ConfPoint {
    return this.points[this.points.length - 1]!;
  }
}
