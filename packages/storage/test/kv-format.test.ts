import { describe, expect, it } from 'vitest';
import { decodeSessionRecord, encodeSessionRecord, packAnswer, type SessionAnswer, type SessionRecord } from '../src/kv-format.js';

const answers: SessionAnswer[] = [
  { sequence: 8, outcome: { type: 'put', revision: 41 } },
  { sequence: 9, outcome: { type: 'delete', deleted: true, revision: 42 } },
];
const record: SessionRecord = {
  clientId: 'c0ffee/7 — ünïcode',
  lastSequence: 9,
  lastSeenMs: 1_795_925_000_123,
  touchOrder: 2 ** 40 + 3,
  answers,
  packedAnswers: answers.map(packAnswer),
};

describe('session record encoding', () => {
  it('round-trips every field and answer', () => {
    // Bytes compared as plain arrays: Buffers from different pools are equal but not alike.
    const plain = (r: SessionRecord) => ({ ...r, packedAnswers: r.packedAnswers.map((bytes) => [...bytes]) });
    expect(plain(decodeSessionRecord(encodeSessionRecord(record)))).toEqual(plain(record));
    const empty = { ...record, answers: [], packedAnswers: [] };
    expect(plain(decodeSessionRecord(encodeSessionRecord(empty)))).toEqual(plain(empty));
  });

  it('refuses a truncated record, extra bytes, and another format', () => {
    const bytes = encodeSessionRecord(record);
    for (const cut of [1, 3, 20, bytes.length - 1]) expect(() => decodeSessionRecord(bytes.subarray(0, cut))).toThrow();
    expect(() => decodeSessionRecord(Buffer.concat([bytes, Uint8Array.of(0)]))).toThrow(/after its last answer/);
    const otherFormat = Uint8Array.from(bytes);
    otherFormat[0] = 0x85; // a msgpack map: the earlier layout
    expect(() => decodeSessionRecord(otherFormat)).toThrow(/format/);
  });
});
