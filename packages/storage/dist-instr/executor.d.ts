import { type Compare, type KvOperation } from './command.js';
import type { StoredValue } from './kv-format.js';
import type { CommandOutcome } from './results.js';
/**
 * Pending writes of one apply batch over the stored state: reads see the batch's own writes
 * first. `undefined` in `writes` means deleted.
 */
export declare class WriteSet {
    private readonly readStored;
    private readonly readStoredMany;
    readonly writes: Map<string, {
        key: Uint8Array;
        stored: StoredValue | undefined;
    }>;
    /** Stored values read ahead for the whole batch (one multi-get instead of one read per key). */
    private readonly prefetched;
    constructor(readStored: (key: Uint8Array) => Promise<StoredValue | undefined>, readStoredMany: (keys: Uint8Array[]) => Promise<(StoredValue | undefined)[]>);
    prefetch(keys: readonly Uint8Array[]): Promise<void>;
    read(key: Uint8Array): Promise<StoredValue | undefined>;
    write(key: Uint8Array, stored: StoredValue | undefined): void;
}
/** Every key an operation reads or writes. */
export declare function keysOf(operation: KvOperation): Uint8Array[];
/**
 * Executes one well-formed operation. Returns the outcome and whether it changed any key
 * (the caller then advances the revision by one).
 */
export declare function executeOperation(operation: KvOperation, context: {
    writeSet: WriteSet;
    revision: number;
}): Promise<{
    outcome: CommandOutcome;
    changed: boolean;
}>;
/** A missing key compares as an empty value with version and revisions 0. */
export declare function compareHolds(compare: Compare, current: StoredValue | undefined): boolean;
//# sourceMappingURL=executor.d.ts.map