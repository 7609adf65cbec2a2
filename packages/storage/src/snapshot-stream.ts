import { SnapshotInvalidError } from './errors.js';
import { packr, type StateMeta } from './kv-format.js';
import { checkRecord, frameRecord } from './record.js';

/**
 * A snapshot stream is a sequence of framed chunks (the log's record framing: length + CRC32):
 *   1. header  { kind: 'header', format: 2, meta }
 *   2. data    { kind: 'pairs', pairs: [key, value][] }   any number
 *   3. trailer { kind: 'trailer', pairCount }
 * The trailer makes a cut stream detectable; the CRC makes a damaged chunk detectable. In
 * format 2 every value is the stored record as it is, sealed with the checksum of its key and
 * value (state-record.ts), so a record damaged on the sender's disk is caught by the receiver
 * too; format 1 (older releases and backups) carries unsealed values.
 */
export const snapshotFormat = 2;
/** The first snapshot format whose records are sealed. */
export const sealedSnapshotFormat = 2;
/** Formats a receiver reads. */
const readableSnapshotFormats: readonly number[] = [1, 2];

export type SnapshotChunk =
  | { readonly kind: 'header'; readonly format: number; readonly meta: StateMeta }
  | { readonly kind: 'pairs'; readonly pairs: readonly (readonly [Uint8Array, Uint8Array])[] }
  | { readonly kind: 'trailer'; readonly pairCount: number };

export function encodeChunk(chunk: SnapshotChunk): Uint8Array {
  return frameRecord(packr.pack(chunk));
}

export function decodeChunk(bytes: Uint8Array, chunkBytesMax: number): SnapshotChunk {
  const check = checkRecord(bytes, chunkBytesMax);
  if (check.kind !== 'ok') throw new SnapshotInvalidError(`snapshot chunk is damaged: ${check.reason}`);
  let chunk: unknown;
  try {
    chunk = packr.unpack(check.payload);
  } catch (cause) {
    throw new SnapshotInvalidError('snapshot chunk does not decode', { cause });
  }
  if (typeof chunk !== 'object' || chunk === null || !('kind' in chunk)) {
    throw new SnapshotInvalidError('snapshot chunk has no kind');
  }
  const problem = chunkShapeProblem(chunk as Record<string, unknown>);
  if (problem !== undefined) throw new SnapshotInvalidError(`snapshot chunk is malformed: ${problem}`);
  return chunk as SnapshotChunk;
}

const isCount = (value: unknown): boolean => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * What is wrong with a decoded chunk's fields, or undefined. A chunk's checksum only says it
 * arrived as sent: the sender may be another release, or no member at all.
 */
function chunkShapeProblem(chunk: Record<string, unknown>): string | undefined {
  switch (chunk['kind']) {
    case 'header':
      if (!isCount(chunk['format'])) return 'the header has no format';
      return metaShapeProblem(chunk['meta']);
    case 'pairs': {
      const pairs = chunk['pairs'];
      if (!Array.isArray(pairs)) return 'the pairs are not a list';
      const isPair = (pair: unknown): boolean =>
        Array.isArray(pair) && pair.length === 2 && pair[0] instanceof Uint8Array && pair[1] instanceof Uint8Array;
      return pairs.every(isPair) ? undefined : 'a pair is not a key and a value';
    }
    case 'trailer':
      return isCount(chunk['pairCount']) ? undefined : 'the trailer has no pair count';
    default:
      return `kind ${String(chunk['kind']).slice(0, 32)} is unknown`;
  }
}

function metaShapeProblem(meta: unknown): string | undefined {
  if (typeof meta !== 'object' || meta === null) return 'the header has no meta';
  const fields = meta as Record<string, unknown>;
  for (const field of ['appliedIndex', 'appliedTerm', 'revision']) {
    if (!isCount(fields[field])) return `the header's ${field} is not a count`;
  }
  const confState = fields['confState'] as Record<string, unknown> | null | undefined;
  if (typeof confState !== 'object' || confState === null || !Array.isArray(confState['voters']) || !Array.isArray(confState['learners'])) {
    return "the header's membership is malformed";
  }
  return undefined;
}

/**
 * The chunks of a snapshot stream, decoded and checked in order: a header of a known format
 * first, then pairs, then a trailer whose count matches them, and nothing after it. Throws
 * SnapshotInvalidError at the first chunk out of place, or when the stream ends before its
 * trailer. Restores (state-machine.ts) and backup checks (backup-file.ts) both read through it.
 */
export async function* checkedSnapshotStream(chunks: AsyncIterable<Uint8Array>, chunkBytesMax: number): AsyncGenerator<SnapshotChunk> {
  let started = false;
  let pairCount = 0;
  let finished = false;
  for await (const bytes of chunks) {
    if (finished) throw new SnapshotInvalidError('snapshot stream continues after its trailer');
    const chunk = decodeChunk(bytes, chunkBytesMax);
    if (chunk.kind === 'header') {
      if (started) throw new SnapshotInvalidError('snapshot stream has two headers');
      if (!readableSnapshotFormats.includes(chunk.format)) throw new SnapshotInvalidError(`snapshot format ${chunk.format} is unknown`);
      started = true;
    } else if (!started) {
      throw new SnapshotInvalidError('snapshot stream does not start with a header');
    } else if (chunk.kind === 'pairs') {
      pairCount += chunk.pairs.length;
    } else {
      if (chunk.pairCount !== pairCount) {
        throw new SnapshotInvalidError(`snapshot trailer counts ${chunk.pairCount} pairs; ${pairCount} arrived`);
      }
      finished = true;
    }
    yield chunk;
  }
  if (!finished) throw new SnapshotInvalidError('snapshot stream ended before its trailer');
}

/** Groups key/value pairs into chunks of about `chunkBytes` (one large pair may exceed it). */
export async function* encodeSnapshotStream(options: {
  meta: StateMeta;
  /** The pairs in key order, in batches of any size (as the database scan reads them). */
  pairBatches: AsyncIterable<readonly (readonly [Uint8Array, Uint8Array])[]>;
  chunkBytes: number;
}): AsyncGenerator<Uint8Array> {
  yield encodeChunk({ kind: 'header', format: snapshotFormat, meta: options.meta });
  let pending: (readonly [Uint8Array, Uint8Array])[] = [];
  let pendingBytes = 0;
  let pairCount = 0;
  for await (const batch of options.pairBatches) {
    for (const pair of batch) {
      pending.push(pair);
      pendingBytes += pair[0].byteLength + pair[1].byteLength + 8;
      pairCount++;
      if (pendingBytes >= options.chunkBytes) {
        yield encodeChunk({ kind: 'pairs', pairs: pending });
        pending = [];
        pendingBytes = 0;
      }
    }
  }
  if (pending.length > 0) yield encodeChunk({ kind: 'pairs', pairs: pending });
  yield encodeChunk({ kind: 'trailer', pairCount });
}
