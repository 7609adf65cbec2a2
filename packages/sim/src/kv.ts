import type { ConfChange, ConfState, Entry, Snapshot } from '@holdfast/raft';

/** A client command as it travels in a log entry. `op` is unique in a run. */
export type KvCommand =
  | { readonly op: number; readonly kind: 'put'; readonly key: string; readonly value: string }
  | {
      readonly op: number;
      readonly kind: 'cas';
      readonly key: string;
      readonly expected: string | null;
      readonly value: string;
    }
  | { readonly op: number; readonly kind: 'delete'; readonly key: string }
  /** Proves the cluster can commit again (liveness checks); changes nothing. */
  | { readonly op: number; readonly kind: 'probe' };

export type KvResult = { kind: 'put' } | { kind: 'cas'; swapped: boolean } | { kind: 'delete' } | { kind: 'probe' };

export class KvDecodeError extends Error {
  override readonly name = 'KvDecodeError';
  readonly code = 'KV_DECODE';
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeCommand(command: KvCommand): Uint8Array {
  return encoder.encode(JSON.stringify(command));
}

export function decodeCommand(data: Uint8Array): KvCommand {
  const parsed: unknown = JSON.parse(decoder.decode(data));
  if (typeof parsed !== 'object' || parsed === null || !('op' in parsed) || !('kind' in parsed)) {
    throw new KvDecodeError(`not a command: ${decoder.decode(data)}`);
  }
  return parsed as KvCommand;
}

/** What a membership change does to the configuration, as every node applies it. */
export function applyConfChangeTo(confState: ConfState, change: ConfChange): ConfState {
  const voters = confState.voters.filter((id) => id !== change.nodeId);
  const learners = confState.learners.filter((id) => id !== change.nodeId);
  switch (change.type) {
    case 'addLearner':
      if (confState.voters.includes(change.nodeId)) return confState;
      return { voters, learners: [...learners, change.nodeId] };
    case 'addVoter':
    case 'promoteLearner':
      return { voters: [...voters, change.nodeId], learners };
    case 'removeNode':
      return { voters, learners };
  }
}

/**
 * The in-simulation key-value state machine of one node. It is volatile: a restarted node
 * rebuilds it from its durable snapshot and replays the log.
 * Invariant: entries are applied in index order without gaps.
 */
export class KvStateMachine {
  private readonly data = new Map<string, string>();
  appliedIndex = 0;
  appliedTerm = 0;
  confState: ConfState;

  constructor(confState: ConfState) {
    this.confState = confState;
  }

  static fromSnapshot(snapshot: Snapshot): KvStateMachine {
    const machine = new KvStateMachine(snapshot.meta.confState);
    machine.restore(snapshot);
    return machine;
  }

  restore(snapshot: Snapshot): void {
    this.data.clear();
    const pairs: unknown = JSON.parse(decoder.decode(snapshot.data));
    if (!Array.isArray(pairs)) throw new KvDecodeError('snapshot data is not a list of pairs');
    for (const pair of pairs as [string, string][]) this.data.set(pair[0], pair[1]);
    this.appliedIndex = snapshot.meta.index;
    this.appliedTerm = snapshot.meta.term;
    this.confState = snapshot.meta.confState;
  }

  /** The state as snapshot data (sorted, so equal states give equal bytes). */
  encodeState(): Uint8Array {
    const pairs = [...this.data.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return encoder.encode(JSON.stringify(pairs));
  }

  get(key: string): string | null {
    return this.data.get(key) ?? null;
  }

  /** Applies one committed entry; returns the command and its result for a normal entry with data. */
  apply(entry: Entry): { command: KvCommand; result: KvResult } | undefined {
    if (entry.index !== this.appliedIndex + 1) {
      throw new KvDecodeError(`apply of index ${entry.index} after applied index ${this.appliedIndex}`);
    }
    this.appliedIndex = entry.index;
    this.appliedTerm = entry.term;
    if (entry.type === 'confChange') {
      this.confState = applyConfChangeTo(this.confState, entry.change);
      return undefined;
    }
    if (entry.data.length === 0) return undefined;
    const command = decodeCommand(entry.data);
    return { command, result: this.execute(command) };
  }

  private execute(command: KvCommand): KvResult {
    switch (command.kind) {
      case 'put':
        this.data.set(command.key, command.value);
        return { kind: 'put' };
      case 'cas': {
        const current = this.data.get(command.key) ?? null;
        if (current !== command.expected) return { kind: 'cas', swapped: false };
        this.data.set(command.key, command.value);
        return { kind: 'cas', swapped: true };
      }
      case 'delete':
        this.data.delete(command.key);
        return { kind: 'delete' };
      case 'probe':
        return { kind: 'probe' };
    }
  }
}
