import { type StateMeta } from './kv-format.js';
/**
 * A snapshot stream is a sequence of framed chunks (the log's record framing: length + CRC32):
 *   1. header  { kind: 'header', format: 1, meta }
 *   2. data    { kind: 'pairs', pairs: [key, value][] }   any number
 *   3. trailer { kind: 'trailer', pairCount }
 * The trailer makes a cut stream detectable; the CRC makes a damaged chunk detectable.
 */
export declare const snapshotFormat = 1;
export type SnapshotChunk = {
    readonly kind: 'header';
    readonly format: number;
    readonly meta: StateMeta;
} | {
    readonly kind: 'pairs';
    readonly pairs: readonly (readonly [Uint8Array, Uint8Array])[];
} | {
    readonly kind: 'trailer';
    readonly pairCount: number;
};
export declare function encodeChunk(chunk: SnapshotChunk): Uint8Array;
export declare function decodeChunk(bytes: Uint8Array, chunkBytesMax: number): SnapshotChunk;
/** Groups key/value pairs into chunks of about `chunkBytes` (one large pair may exceed it). */
export declare function encodeSnapshotStream(options: {
    meta: StateMeta;
    pairs: AsyncIterable<readonly [Uint8Array, Uint8Array]>;
    chunkBytes: number;
}): AsyncGenerator<Uint8Array>;
//# sourceMappingURL=snapshot-stream.d.ts.map