/**
 * Snapshot chunks arrive from the peer port (a leader's InstallSnapshot stream) and from backup
 * files: whatever the bytes, decodeChunk returns a chunk of a well-formed shape or throws
 * SnapshotInvalidError, and a checked stream ends in a trailer or SnapshotInvalidError; nothing
 * else is thrown (fast-check, seeded).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SnapshotInvalidError } from '../src/index.js';
import { freshMeta, packr } from '../src/kv-format.js';
import { frameRecord } from '../src/record.js';
import { checkedSnapshotStream, decodeChunk, encodeChunk, type SnapshotChunk, snapshotFormat } from '../src/snapshot-stream.js';

const CHUNK_BYTES_MAX = 64 * 1024;
const RUNS = { seed: 4242, numRuns: 300 };

const validChunk: fc.Arbitrary<SnapshotChunk> = fc.oneof(
  fc.constant<SnapshotChunk>({ kind: 'header', format: snapshotFormat, meta: { ...freshMeta, appliedIndex: 7, appliedTerm: 2, revision: 3 } }),
  fc
    .array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.uint8Array({ maxLength: 8 })), { maxLength: 4 })
    .map((pairs): SnapshotChunk => ({ kind: 'pairs', pairs })),
  fc.nat({ max: 9 }).map((pairCount): SnapshotChunk => ({ kind: 'trailer', pairCount })),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, Number.NaN, -1, 2 ** 53, '', 'header', true),
  fc.uint8Array({ maxLength: 4 }),
  fc.array(fc.oneof(fc.constant(null), fc.integer(), fc.uint8Array({ maxLength: 2 })), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

/** A valid chunk with one field, at any depth, replaced by a hostile value. */
const mutatedChunk = fc.tuple(validChunk, fc.nat(), hostileValue).map(([chunk, pick, value]) => {
  const root = structuredClone(chunk) as unknown;
  const slots: { parent: Record<string, unknown>; key: string }[] = [];
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null || node instanceof Uint8Array) return;
    for (const key of Object.keys(node)) {
      slots.push({ parent: node as Record<string, unknown>, key });
      walk((node as Record<string, unknown>)[key]);
    }
  };
  walk(root);
  const slot = slots[pick % slots.length]!;
  slot.parent[slot.key] = value;
  return root;
});

function isWellFormed(chunk: SnapshotChunk): boolean {
  switch (chunk.kind) {
    case 'header':
      return Number.isSafeInteger(chunk.format) && Number.isSafeInteger(chunk.meta.appliedIndex) && Array.isArray(chunk.meta.confState.voters);
    case 'pairs':
      return chunk.pairs.every(([key, value]) => key instanceof Uint8Array && value instanceof Uint8Array);
    case 'trailer':
      return Number.isSafeInteger(chunk.pairCount) && chunk.pairCount >= 0;
  }
}

function checkDecode(bytes: Uint8Array): void {
  try {
    expect(isWellFormed(decodeChunk(bytes, CHUNK_BYTES_MAX))).toBe(true);
  } catch (error) {
    expect(error).toBeInstanceOf(SnapshotInvalidError);
  }
}

describe('snapshot chunk decoding', () => {
  it('random bytes, framed or not, decode to a well-formed chunk or are refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (bytes) => {
        checkDecode(bytes);
        checkDecode(frameRecord(bytes));
      }),
      RUNS,
    );
  });

  it('valid chunks with a byte flipped (the checksum catches it) or a field replaced (the shape check does)', () => {
    fc.assert(
      fc.property(validChunk, fc.nat(), fc.integer({ min: 1, max: 255 }), mutatedChunk, (chunk, at, bits, mutated) => {
        const bytes = Uint8Array.from(encodeChunk(chunk));
        bytes[at % bytes.length] = bytes[at % bytes.length]! ^ bits;
        checkDecode(bytes);
        checkDecode(frameRecord(packr.pack(mutated)));
      }),
      RUNS,
    );
  });

  it('a stream of random, valid and mutated chunks ends in a trailer or SnapshotInvalidError', async () => {
    const item = fc.oneof(validChunk.map(encodeChunk), mutatedChunk.map((m) => frameRecord(packr.pack(m))), fc.uint8Array({ maxLength: 32 }));
    await fc.assert(
      fc.asyncProperty(fc.array(item, { maxLength: 6 }), async (chunks) => {
        async function* source(): AsyncGenerator<Uint8Array> {
          yield* chunks;
        }
        try {
          const read: SnapshotChunk[] = [];
          for await (const chunk of checkedSnapshotStream(source(), CHUNK_BYTES_MAX)) read.push(chunk);
          expect(read[0]?.kind).toBe('header');
          expect(read[read.length - 1]?.kind).toBe('trailer');
        } catch (error) {
          expect(error).toBeInstanceOf(SnapshotInvalidError);
        }
      }),
      RUNS,
    );
  });

  it('names what is malformed', () => {
    const refusal = (value: unknown): string => {
      try {
        decodeChunk(frameRecord(packr.pack(value)), CHUNK_BYTES_MAX);
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(refusal({ kind: 'pairs', pairs: [null] })).toMatch(/a pair is not a key and a value/);
    expect(refusal({ kind: 'pairs', pairs: null })).toMatch(/not a list/);
    expect(refusal({ kind: 'trailer', pairCount: -1 })).toMatch(/pair count/);
    expect(refusal({ kind: 'header', format: 2, meta: { ...freshMeta, confState: null } })).toMatch(/membership/);
    expect(refusal({ kind: 'header', format: 2, meta: { ...freshMeta, appliedIndex: 'x' } })).toMatch(/appliedIndex/);
    expect(refusal({ kind: 'other' })).toMatch(/kind other is unknown/);
    expect(refusal({ kind: 'trailer', pairCount: 0 })).toBe('accepted');
  });
});
