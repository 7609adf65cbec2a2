/**
 * The narrow surface of @holdfast/raft's storage the simulator drives, in one place, so that the
 * rest of the simulator reads as the protocol and not as an API. The core node itself is typed as
 * `RaftCore` from @holdfast/raft, shared with the server's driver.
 */
import type { ConfState, Entry, HardState, LogStorage, Snapshot } from '@holdfast/raft';

export interface CoreStorage extends LogStorage {
  append(entries: readonly Entry[]): void;
  setHardState(hardState: HardState): void;
  applySnapshot(snapshot: Snapshot): void;
  createSnapshot(index: number, confState: ConfState, data: Uint8Array): Snapshot;
  compact(index: number): void;
}
