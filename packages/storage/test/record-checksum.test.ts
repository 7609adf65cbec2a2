import { writeFile } from 'node:fs/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectBackupFile, KvStateMachine, type KvOperation, SnapshotInvalidError, StateCorruptionError } from '../src/index.js';
import { metaKey, packr, prefixedKey, sessionKey, userKeyPrefix } from '../src/kv-format.js';
import { encodeChunk, snapshotFormat } from '../src/snapshot-stream.js';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { plantDefects, plantedDefects } from '../src/planted-defects.js';
import { crc32Short, describeStoredKey, murmur3, openRecord, sealMarker, sealRecord } from '../src/state-record.js';
import { bytes, commandEntry, makeTempDir, stateMachineFixture, text, unsealState, withRawDb } from './helpers.js';

const put = (key: string, value: string): KvOperation => ({ type: 'put', key: bytes(key), value: bytes(value) });
const storedKey = (key: string): Uint8Array => prefixedKey(userKeyPrefix, bytes(key));

/** Flips one bit in the middle of the stored record of `key` (its value, past the seal). */
async function flipByteOf(dir: string, key: Uint8Array): Promise<void> {
  await withRawDb(dir, async (db) => {
    const value = await db.get(key);
    if (value === undefined) throw new Error('no such record');
    const damaged = Uint8Array.from(value);
    const at = Math.floor(damaged.length / 2) + 2;
    damaged[at] = damaged[at]! ^ 0x10;
    await db.put(key, damaged);
  });
}

async function swapRecords(dir: string, a: Uint8Array, b: Uint8Array): Promise<void> {
  await withRawDb(dir, async (db) => {
    const [valueA, valueB] = await db.getMany([a, b]);
    if (valueA === undefined || valueB === undefined) throw new Error('no such record');
    await db.batch([
      { type: 'put', key: a, value: valueB },
      { type: 'put', key: b, value: valueA },
    ]);
  });
}

async function corruption(work: Promise<unknown>): Promise<StateCorruptionError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StateCorruptionError);
  return error as StateCorruptionError;
}

describe('sealed state records', () => {
  it('seal the key with the value: a record read under another key fails its check', () => {
    const sealed = sealRecord(storedKey('a'), bytes('payload'));
    expect(sealed[0]).toBe(sealMarker);
    const opened = openRecord(storedKey('a'), sealed);
    expect(opened.ok && text(opened.payload)).toBe('payload');
    expect(openRecord(storedKey('b'), sealed)).toMatchObject({ ok: false, reason: expect.stringMatching(/checksum/) });
    for (let at = 0; at < sealed.length; at++) {
      const damaged = Uint8Array.from(sealed);
      damaged[at] = damaged[at]! ^ 0x01;
      expect(openRecord(storedKey('a'), damaged).ok).toBe(false);
    }
    expect(openRecord(storedKey('a'), sealed.subarray(0, 3)).ok).toBe(false);
  });

  it('are checked unless the simulator planted the skip-checksum defect (off by default)', () => {
    const damaged = Uint8Array.from(sealRecord(storedKey('a'), bytes('payload')));
    damaged[damaged.length - 1] = damaged[damaged.length - 1]! ^ 0x01;
    expect(plantedDefects().skipRecordChecksum).toBe(false);
    expect(openRecord(storedKey('a'), damaged).ok).toBe(false);
    plantDefects({ skipRecordChecksum: true });
    try {
      expect(openRecord(storedKey('a'), damaged)).toMatchObject({ ok: true });
    } finally {
      plantDefects({});
    }
    expect(openRecord(storedKey('a'), damaged).ok).toBe(false);
  });

  it('compute the CRC32 of short keys exactly as zlib does', () => {
    for (let length = 1; length <= 100; length++) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const bytes = randomBytes(length);
        const initial = randomBytes(4).readUInt32BE(0);
        expect(crc32Short(bytes)).toBe(crc32(bytes));
        expect(crc32Short(bytes, initial)).toBe(crc32(bytes, initial));
      }
    }
  });

  it('name keys printably', () => {
    expect(describeStoredKey(storedKey('a/b'))).toBe('key "a/b"');
    expect(describeStoredKey(prefixedKey(userKeyPrefix, Uint8Array.of(0, 255)))).toBe('key 0x00ff');
    expect(describeStoredKey(sessionKey('client-1'))).toBe('session "client-1"');
    expect(describeStoredKey(metaKey)).toBe('the meta record');
  });
});

describe('every read path refuses a damaged record, naming it', () => {
  const t = stateMachineFixture();
  const kvDir = (): string => `${t.dir}/kv`;

  async function fillAndDamage(damage: (dir: string) => Promise<void>): Promise<void> {
    for (let i = 0; i < 30; i++) await t.run(put(`key/${String(i).padStart(2, '0')}`, `value ${i} `.repeat(8)));
    await t.sm.close();
    await damage(kvDir());
    await t.reopen();
  }

  it('get, range and keysOnly range', async () => {
    await fillAndDamage((dir) => flipByteOf(dir, storedKey('key/07')));
    const error = await corruption(t.sm.get(bytes('key/07')));
    expect(error.key).toBe('key "key/07"');
    expect(error.message).toMatch(/key "key\/07".*checksum/);
    expect(text((await t.sm.get(bytes('key/08')))?.value)).toBe('value 8 '.repeat(8));
    await corruption(t.sm.range({ prefix: bytes('key/') }));
    await corruption(t.sm.range({ prefix: bytes('key/'), keysOnly: true }));
    // A range that does not reach the damaged key is served.
    expect((await t.sm.range({ prefix: bytes('key/1') })).kvs).toHaveLength(10);
  });

  it('a value swapped with another key', async () => {
    await fillAndDamage((dir) => swapRecords(dir, storedKey('key/03'), storedKey('key/04')));
    expect((await corruption(t.sm.get(bytes('key/03')))).key).toBe('key "key/03"');
    expect((await corruption(t.sm.get(bytes('key/04')))).key).toBe('key "key/04"');
  });

  it('apply: a single read (prevKv) and a multi-read (many keys in one batch, no cache)', async () => {
    await fillAndDamage((dir) => flipByteOf(dir, storedKey('key/05')));
    const prevKv = commandEntry({ index: t.takeIndex(), operation: { type: 'put', key: bytes('key/05'), value: bytes('x'), prevKv: true } });
    await corruption(t.sm.apply([prevKv]));
    await t.reopen({ keyMetaCacheBytesMax: 0 });
    const start = t.nextIndex() - 1;
    const many = Array.from({ length: 30 }, (_, i) => commandEntry({ index: start + i, operation: put(`key/${String(i).padStart(2, '0')}`, 'y') }));
    await corruption(t.sm.apply(many));
    // Nothing of the refused batches was applied.
    expect(t.sm.appliedIndex).toBe(start - 1);
  });

  it('the snapshot reader stops at a damaged record instead of sending it', async () => {
    await fillAndDamage((dir) => flipByteOf(dir, storedKey('key/20')));
    const reader = await t.sm.openSnapshotReader();
    try {
      const chunks: Uint8Array[] = [];
      const error = await corruption(
        (async () => {
          for await (const chunk of reader.chunks()) chunks.push(chunk);
        })(),
      );
      expect(error.key).toBe('key "key/20"');
    } finally {
      await reader.close();
    }
  });

  it('open: the meta record and session records', async () => {
    await t.run(put('a', '1'), { session: { clientId: 'c1', sequence: 1 } });
    await t.sm.close();
    await flipByteOf(kvDir(), sessionKey('c1'));
    expect((await corruption(t.open())).key).toBe('session "c1"');
    await flipByteOf(kvDir(), sessionKey('c1'));
    const reopened = await t.open();
    await reopened.close();
    await flipByteOf(kvDir(), metaKey);
    expect((await corruption(t.open())).key).toBe('the meta record');
  });

  it('open and scrub: a lost meta record with records left is damage, not a fresh state', async () => {
    await t.run(put('a', '1'));
    const scrubbed = await t.sm.scrub({ recordsPerSecondMax: 1_000_000 });
    expect(scrubbed).toMatchObject({ outcome: 'ok', records: 1 });
    await t.sm.close();
    await withRawDb(kvDir(), (db) => db.del(metaKey));
    const error = await corruption(t.open());
    expect(error.key).toBe('the meta record');
    expect(error.message).toMatch(/missing.*key "a"/);
    // With the meta gone and nothing else held, the state is simply fresh.
    await withRawDb(kvDir(), (db) => db.clear());
    const fresh = await t.open();
    expect(fresh.appliedIndex).toBe(0);
    expect(await fresh.scrub({ recordsPerSecondMax: 1_000_000 })).toMatchObject({ outcome: 'ok', records: 0 });
    await fresh.close();
  });
});

describe('snapshot streams and backups check every record', () => {
  const t = stateMachineFixture();

  async function streamWith(damaged: boolean): Promise<Uint8Array[]> {
    await t.run(put('a', '1'));
    await t.run(put('b', '2'));
    const reader = await t.sm.openSnapshotReader();
    const chunks: Uint8Array[] = [];
    try {
      for await (const chunk of reader.chunks()) chunks.push(chunk);
    } finally {
      await reader.close();
    }
    if (!damaged) return chunks;
    // Re-frame the pairs with one record damaged: every chunk's own CRC is right, only the record's seal fails.
    const pairs = (packr.unpack(chunks[1]!.subarray(9)) as { pairs: [Uint8Array, Uint8Array][] }).pairs;
    const index = pairs.findIndex(([key]) => Buffer.compare(key, storedKey('b')) === 0);
    const value = Uint8Array.from(pairs[index]![1]);
    value[value.length - 1] = value[value.length - 1]! ^ 0x04;
    pairs[index] = [pairs[index]![0], value];
    return [chunks[0]!, encodeChunk({ kind: 'pairs', pairs }), ...chunks.slice(2)];
  }

  it('a restore refuses a stream holding a damaged record, keeping its state', async () => {
    const chunks = await streamWith(true);
    const target = await KvStateMachine.open({ dir: `${t.dir}/other` });
    try {
      await expect(target.restoreSnapshot((async function* () { yield* chunks; })())).rejects.toThrow(/key "b" is damaged/);
      expect(target.appliedIndex).toBe(0);
    } finally {
      await target.close();
    }
  });

  it('a backup holding a damaged record is refused by inspection', async () => {
    const good = `${t.dir}/good.backup`;
    const bad = `${t.dir}/bad.backup`;
    await writeFile(good, Buffer.concat(await streamWith(false)));
    expect((await inspectBackupFile(good, 1 << 20)).keys).toBe(2);
    await t.reopen();
    await writeFile(bad, Buffer.concat(await streamWith(true)));
    await expect(inspectBackupFile(bad, 1 << 20)).rejects.toThrow(SnapshotInvalidError);
  });

  it('a stream of format 1 (unsealed records, an older release) is sealed as it is restored', async () => {
    expect(snapshotFormat).toBe(2);
    const chunks = await streamWith(false);
    const header = packr.unpack(chunks[0]!.subarray(9)) as { meta: Record<string, unknown> };
    const pairs = (packr.unpack(chunks[1]!.subarray(9)) as { pairs: [Uint8Array, Uint8Array][] }).pairs;
    const unsealed = pairs.map(([key, value]): [Uint8Array, Uint8Array] => {
      const opened = openRecord(key, value);
      if (!opened.ok) throw new Error(opened.reason);
      if (key.length !== 1) return [key, opened.payload];
      const meta = packr.unpack(opened.payload) as Record<string, unknown>;
      delete meta['recordFormat'];
      return [key, packr.pack(meta)];
    });
    delete header.meta['recordFormat'];
    const old = [
      encodeChunk({ kind: 'header', format: 1, meta: header.meta as never }),
      encodeChunk({ kind: 'pairs', pairs: unsealed }),
      ...chunks.slice(2),
    ];
    const target = await KvStateMachine.open({ dir: `${t.dir}/other` });
    try {
      await target.restoreSnapshot((async function* () { yield* old; })());
      expect(text((await target.get(bytes('b')))?.value)).toBe('2');
    } finally {
      await target.close();
    }
    await withRawDb(`${t.dir}/other`, async (db) => {
      for await (const value of db.values()) if (value.length > 1) expect(value[0]).toBe(sealMarker);
    });
  });
});

describe('a state of record format 1 (before checksums)', () => {
  const t = stateMachineFixture();

  it('is converted at open: every record sealed, nothing changed', async () => {
    for (let i = 0; i < 40; i++) await t.run(put(`k${i}`, `v${i}`), { session: { clientId: `c${i % 4}`, sequence: Math.floor(i / 4) + 1 } });
    const before = await t.sm.range({ prefix: new Uint8Array(0) });
    const { revision, appliedIndex, keyValueBytes } = t.sm;
    await t.sm.close();
    await withRawDb(`${t.dir}/kv`, unsealState);
    await t.reopen();
    expect(await t.sm.range({ prefix: new Uint8Array(0) })).toEqual(before);
    expect([t.sm.revision, t.sm.appliedIndex, t.sm.keyValueBytes]).toEqual([revision, appliedIndex, keyValueBytes]);
    expect(t.sm.sessionCount()).toBe(4);
    // A retried write is still answered from its session.
    const retry = await t.sm.apply([commandEntry({ index: t.takeIndex(), operation: put('k39', 'again'), session: { clientId: 'c3', sequence: 10 } })]);
    expect(retry[0]?.duplicate).toBe(true);
    await t.sm.close();
    await withRawDb(`${t.dir}/kv`, async (db) => {
      for await (const value of db.values()) if (value.length > 1) expect(value[0]).toBe(sealMarker);
    });
    await t.reopen();
  });
});

describe('a flipped bit anywhere in any record', () => {
  let root: { dir: string; remove: () => Promise<void> };
  beforeAll(async () => {
    root = await makeTempDir();
  });
  afterAll(async () => {
    await root.remove();
  });

  it('never reaches a reader as data: every read of the damaged record throws, every other read is exact', async () => {
    const written = new Map(Array.from({ length: 12 }, (_, i) => [`key/${i}`, `value ${i} `.repeat(1 + (i % 4))]));
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 11 }), fc.nat(), fc.nat({ max: 7 }), async (victim, byteSeed, bit) => {
        const dir = `${root.dir}/${run++}`;
        const sm = await KvStateMachine.open({ dir });
        await sm.apply([...written].map(([key, value], i) => commandEntry({ index: i + 1, operation: put(key, value) })));
        await sm.close();
        await withRawDb(dir, async (db) => {
          const key = storedKey(`key/${victim}`);
          const value = Uint8Array.from((await db.get(key))!);
          const at = byteSeed % value.length;
          value[at] = value[at]! ^ (1 << bit);
          await db.put(key, value);
        });
        const reopened = await KvStateMachine.open({ dir });
        try {
          for (const [key, value] of written) {
            const read = await reopened.get(bytes(key)).then(
              (kv) => text(kv?.value),
              (error: unknown) => error,
            );
            if (key === `key/${victim}`) expect(read).toBeInstanceOf(StateCorruptionError);
            else expect(read).toBe(value);
          }
          const page = await reopened.range({ prefix: bytes('key/') }).catch((error: unknown) => error);
          expect(page).toBeInstanceOf(StateCorruptionError);
        } finally {
          await reopened.close();
        }
      }),
      { numRuns: 40, seed: 77 },
    );
  });
});

describe('the second record hash (MurmurHash3 x86 32)', () => {
  it('matches the reference vectors', () => {
    // From the reference implementation (SMHasher): empty input, and "Hello, world!" with seeds 0 and 1234.
    expect(murmur3(new Uint8Array(0), 0)).toBe(0);
    expect(murmur3(new Uint8Array(0), 1)).toBe(0x514e28b7);
    expect(murmur3(bytes('Hello, world!'), 1234)).toBe(0xfaf6cdb3);
    expect(murmur3(bytes('The quick brown fox jumps over the lazy dog'), 0)).toBe(0x2e4ff723);
    expect(murmur3(bytes('abc'), 0)).toBe(0xb3dd93fa);
    expect(murmur3(bytes('abcd'), 0)).toBe(0x43ed676a);
  });
});
