/**
 * The TCP peer link's frame codec (peerLink/frames.ts): frames survive any split of the byte
 * stream, a length over the limit or an unknown kind is refused before its body is buffered, and
 * random or edited byte streams and hostile bodies end in frames or a PeerInputError, nothing else
 * (fast-check, seeded).
 */
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { PeerInputError } from '../src/peerInput.js';
import {
  decodeBody,
  encodeFrame,
  encodeValueFrame,
  type Frame,
  FrameDecoder,
  FrameKind,
  FRAME_HEADER_BYTES,
  ackHeldMs,
  parseAck,
  parseCheckpoints,
  parseHello,
  parseResult,
} from '../src/peerLink/frames.js';

const FRAME_BYTES_MAX = 4096;
const SEED = { seed: 1111, numRuns: 300 };
const packr = new Packr({ useRecords: false });

const kinds = Object.values(FrameKind);
const frameArbitrary: fc.Arbitrary<{ kind: FrameKind; body: Uint8Array }> = fc.record({
  kind: fc.constantFrom(...kinds),
  body: fc.uint8Array({ maxLength: 300 }),
});

/** Cuts `bytes` at the given points (each taken modulo the length). */
function split(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((cut) => cut % (bytes.byteLength + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(start, point));
    start = point;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}

/** Feeds every piece; returns the frames, or the PeerInputError that stopped it (anything else fails the test). */
function decodeAll(pieces: readonly Buffer[]): Frame[] | PeerInputError {
  const decoder = new FrameDecoder(FRAME_BYTES_MAX);
  const frames: Frame[] = [];
  try {
    for (const piece of pieces) {
      frames.push(...decoder.push(piece));
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(FRAME_BYTES_MAX + FRAME_HEADER_BYTES);
    }
  } catch (error) {
    expect(error).toBeInstanceOf(PeerInputError);
    return error as PeerInputError;
  }
  return frames;
}

describe('link frames', () => {
  it('come out whole and in order however the stream is split', () => {
    fc.assert(
      fc.property(fc.array(frameArbitrary, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (sent, cuts) => {
        const stream = Buffer.concat(sent.map((frame) => encodeFrame(frame.kind, frame.body)));
        const frames = decodeAll(split(stream, cuts));
        expect(frames).not.toBeInstanceOf(PeerInputError);
        expect((frames as Frame[]).map((frame) => ({ kind: frame.kind, body: Uint8Array.from(frame.body) }))).toEqual(
          sent.map((frame) => ({ kind: frame.kind, body: Uint8Array.from(frame.body) })),
        );
      }),
      SEED,
    );
  });

  it('refuses a frame over the limit from its header, before its body arrives', () => {
    const decoder = new FrameDecoder(FRAME_BYTES_MAX);
    const header = Buffer.alloc(FRAME_HEADER_BYTES);
    header.writeUInt32BE(0xffff_ffff, 0);
    header.writeUInt8(FrameKind.batch, 4);
    expect(() => decoder.push(header)).toThrow(expect.objectContaining({ reason: 'frame-too-large' }));
  });

  it('refuses an unknown kind and a zero length', () => {
    expect(() => new FrameDecoder(FRAME_BYTES_MAX).push(Buffer.from([0, 0, 0, 1, 99]))).toThrow(expect.objectContaining({ reason: 'frame-framing' }));
    expect(() => new FrameDecoder(FRAME_BYTES_MAX).push(Buffer.from([0, 0, 0, 0, 3]))).toThrow(expect.objectContaining({ reason: 'frame-framing' }));
  });

  it('turns random and edited byte streams into frames or a PeerInputError, nothing else', () => {
    const edited = fc
      .tuple(fc.array(frameArbitrary, { minLength: 1, maxLength: 4 }), fc.nat(), fc.integer({ min: 1, max: 255 }))
      .map(([frames, at, bits]) => {
        const stream = Buffer.concat(frames.map((frame) => encodeFrame(frame.kind, frame.body)));
        stream[at % stream.byteLength]! ^= bits;
        return stream;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)), edited), fc.array(fc.nat(), { maxLength: 6 }), (stream, cuts) => {
        decodeAll(split(stream, cuts));
      }),
      SEED,
    );
  });

  it('checks every body it parses: hostile values end in PeerInputError', () => {
    const hostile = fc.oneof(
      fc.anything(),
      fc.record({ version: fc.anything(), clusterId: fc.anything(), from: fc.anything(), to: fc.anything(), purpose: fc.anything(), applyVersion: fc.anything() }),
      fc.record({ batches: fc.anything() }),
      fc.record({ ok: fc.anything(), error: fc.anything() }),
    );
    const parsers = [parseHello, parseAck, parseResult, (value: unknown) => parseCheckpoints(value, 16)];
    fc.assert(
      fc.property(hostile, fc.constantFrom(...parsers), (value, parse) => {
        const frame = encodeValueFrame(FrameKind.hello, value);
        const [decoded] = new FrameDecoder(1024 * 1024).push(frame);
        try {
          parse(decodeBody(decoded as Frame));
        } catch (error) {
          expect(error).toBeInstanceOf(PeerInputError);
        }
      }),
      SEED,
    );
  });

  it('parses what a member sends', () => {
    const hello = { version: 1, clusterId: 'prod@2', from: 1, to: 2, purpose: 'raft', applyVersion: 3 };
    expect(parseHello(packr.unpack(packr.pack(hello)))).toEqual(hello);
    expect(() => parseHello({ ...hello, purpose: 'other' })).toThrow(PeerInputError);
    expect(() => parseHello({ ...hello, from: -1 })).toThrow(PeerInputError);
    expect(() => parseHello({ ...hello, clusterId: 'x'.repeat(2000) })).toThrow(PeerInputError);
    expect(parseAck({ batches: 7 })).toBe(7);
    expect(ackHeldMs({ batches: 7, heldMs: 12.5 })).toBe(12.5);
    // An ack of an earlier release, or a held time that cannot be, gives no round-trip sample.
    for (const ack of [{ batches: 7 }, { batches: 7, heldMs: -1 }, { batches: 7, heldMs: 'x' }, { batches: 7, heldMs: 1e9 }, 'ack']) {
      expect(ackHeldMs(ack)).toBeUndefined();
    }
    expect(() => parseCheckpoints(Array.from({ length: 17 }), 16)).toThrow(PeerInputError);
    expect(() => decodeBody({ kind: FrameKind.ack, body: Uint8Array.from([0x92, 0x01]) })).toThrow(PeerInputError);
  });
});
