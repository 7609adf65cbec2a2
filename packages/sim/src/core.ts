/**
 * The narrow surface of @holdfast/raft the simulator drives, in one place, so that the rest of
 * the simulator reads as the protocol and not as an API.
 */
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  LogStorage,
  Message,
  NodeId,
  RaftStatus,
  Ready,
  Snapshot,
} from '@holdfast/raft';

export interface CoreNode {
  tick(): void;
  step(message: Message): void;
  propose(data: Uint8Array[]): { term: number; firstIndex: number; lastIndex: number };
  proposeConfChange(change: ConfChange): { term: number; index: number };
  readIndex(requestId: number): void;
  transferLeadership(to: NodeId): void;
  hasReady(): boolean;
  ready(): Ready;
  advance(ready: Ready): void;
  reportUnreachable(id: NodeId): void;
  reportSnapshot(id: NodeId, status: 'finished' | 'failed'): void;
  status(): RaftStatus;
  /** The membership as of `index` (valid from the applied index on), for local snapshots. */
  confStateAt(index: number): ConfState;
}

export interface CoreStorage extends LogStorage {
  append(entries: readonly Entry[]): void;
  setHardState(hardState: HardState): void;
  applySnapshot(snapshot: Snapshot): void;
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot;
  compact(index: number): void;
}
