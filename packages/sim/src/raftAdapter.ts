/**
 * The only file that names @holdfast/raft's core classes (RaftNode, MemoryLogStorage, RaftError):
 * construction and error classification. (The seeded `Prng` comes from there too, in simulation.ts.)
 */
import { MemoryLogStorage, RaftError, RaftNode } from '@holdfast/raft';
import type { NodeId, RaftConfig, RaftCore } from '@holdfast/raft';
import type { CoreStorage } from './core.js';
import type { DurableState } from './disk.js';

export function createCore(config: RaftConfig): RaftCore {
  return new RaftNode(config);
}

export function createStorage(): CoreStorage {
  return new MemoryLogStorage();
}

/** The identical log every initial member starts from, as it lies on each member's disk. */
export function bootstrapState(voters: readonly NodeId[]): DurableState {
  const storage = MemoryLogStorage.bootstrap(voters);
  const entries = storage.entries(storage.firstIndex(), storage.lastIndex() + 1, Number.MAX_SAFE_INTEGER);
  return { hardState: storage.initialState().hardState, snapshot: undefined, entries };
}

/**
 * A refusal the core reports to a caller (not the leader, limits, a transfer under way): the
 * operation did not happen. Anything else thrown by the core is a bug the simulator reports.
 */
export function isRefusal(error: unknown): boolean {
  return error instanceof RaftError && error.code !== 'INVARIANT';
}

/** ReadIndex rounds a seed's members keep in flight: 1, 2 or 4 by the seed, not a draw, so every other draw of a seed stays what it was. */
export function readRoundsInFlightMaxOf(seed: number): number {
  return [1, 2, 4][Math.abs(seed) % 3] as number;
}
