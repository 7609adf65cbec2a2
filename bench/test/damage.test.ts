import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Prng } from '@holdfast/raft';
import { Level } from 'level';
import { afterAll, describe, expect, it } from 'vitest';
import {
  corruptLogTail,
  corruptStateTable,
  currentLogWal,
  groupWalRecords,
  LEVELDB_LOG_BLOCK_BYTES,
  NothingToDamage,
  parseWalFragments,
  truncateLogTail,
} from '../src/damage.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-damage-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const key = (i: number): string => `e/${String(i).padStart(6, '0')}`;

/** A member-like data dir whose `log` database got `count` synced batches (one key each) and was closed. */
async function writeLog(name: string, count: number, valueBytes: number): Promise<string> {
  const dataDir = path.join(root, name);
  const db = new Level<string, string>(path.join(dataDir, 'log'));
  for (let i = 0; i < count; i += 1) await db.put(key(i), 'v'.repeat(valueBytes), { sync: true });
  await db.close();
  return dataDir;
}

/** Keys present after LevelDB reopens the damaged database, and what its LOG says. */
async function reopen(dataDir: string): Promise<{ keys: string[]; leveldbLog: string }> {
  const dir = path.join(dataDir, 'log');
  const db = new Level<string, string>(dir);
  const keys = await db.keys().all();
  await db.close();
  return { keys, leveldbLog: fs.readFileSync(path.join(dir, 'LOG'), 'utf8') };
}

describe('write-ahead file parsing', () => {
  it('finds every batch of a real LevelDB log, records across blocks included', async () => {
    // 5000-byte batches: several per 32 KiB block, some split over two blocks.
    const dataDir = await writeLog('parse', 20, 5000);
    const wal = currentLogWal(dataDir) as string;
    const data = fs.readFileSync(path.join(dataDir, wal));
    const records = groupWalRecords(parseWalFragments(data));
    expect(records.length).toBe(20);
    expect(records.at(-1)?.end).toBe(data.length);
    expect(records.some((r) => r.fragments.length > 1)).toBe(true);
    expect(data.length).toBeGreaterThan(LEVELDB_LOG_BLOCK_BYTES * 2);
  });
});

describe('damage to the log database', () => {
  it('flipped bytes in the last records: LevelDB drops them and says so in its LOG', async () => {
    const dataDir = await writeLog('flip', 40, 300);
    const damage = corruptLogTail(dataDir, Prng.fromText('flip'));
    expect(damage.recordsHit).toBeGreaterThanOrEqual(1);
    expect(damage.offsets.length).toBe(damage.recordsHit);
    const { keys, leveldbLog } = await reopen(dataDir);
    expect(keys.length).toBe(40 - (damage.recordsHit as number));
    expect(keys.at(-1)).toBe(key(39 - (damage.recordsHit as number)));
    expect(leveldbLog).toMatch(/dropping \d+ bytes; Corruption: checksum mismatch/);
  });

  it('a cut inside one of the last records: LevelDB drops the rest without a word', async () => {
    const dataDir = await writeLog('cut', 40, 300);
    const wal = currentLogWal(dataDir) as string;
    const before = fs.statSync(path.join(dataDir, wal)).size;
    const damage = truncateLogTail(dataDir, Prng.fromText('cut'));
    expect(fs.statSync(path.join(dataDir, wal)).size).toBe(damage.offsets[0]);
    expect(damage.bytes).toBe(before - (damage.offsets[0] as number));
    const { keys, leveldbLog } = await reopen(dataDir);
    expect(keys.length).toBe(40 - (damage.recordsHit as number));
    expect(leveldbLog).not.toMatch(/dropping/);
  });

  it('refuses a log with no record', async () => {
    const dataDir = path.join(root, 'empty');
    fs.mkdirSync(path.join(dataDir, 'log'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'log', '000003.log'), '');
    expect(() => corruptLogTail(dataDir, Prng.fromText('e'))).toThrow(NothingToDamage);
  });
});

describe('damage to the state tables', () => {
  it('flips bytes in the middle half of a table, and says where', async () => {
    const dataDir = path.join(root, 'state');
    const db = new Level<string, string>(path.join(dataDir, 'kv'));
    for (let i = 0; i < 3000; i += 1) await db.put(key(i), `${i}`.padEnd(200, 'x'));
    await db.close();
    // Reopening turns the write-ahead file into a table.
    const reopened = new Level(path.join(dataDir, 'kv'));
    await reopened.open();
    await reopened.close();
    const tables = fs.readdirSync(path.join(dataDir, 'kv')).filter((n) => n.endsWith('.ldb'));
    expect(tables.length).toBeGreaterThan(0);
    const copies = new Map(tables.map((n) => [n, fs.readFileSync(path.join(dataDir, 'kv', n))]));
    const damage = corruptStateTable(dataDir, Prng.fromText('table'));
    const after = fs.readFileSync(path.join(dataDir, damage.file));
    const before = copies.get(path.basename(damage.file)) as Buffer;
    const changed = [...after.keys()].filter((i) => after[i] !== before[i]);
    expect(changed).toEqual(damage.offsets);
    for (const offset of damage.offsets) {
      expect(offset).toBeGreaterThanOrEqual(Math.floor(damage.fileBytes / 4));
      expect(offset).toBeLessThan(Math.ceil((damage.fileBytes * 3) / 4));
    }
  });

  it('refuses a state with no table', () => {
    const dataDir = path.join(root, 'no-table');
    fs.mkdirSync(path.join(dataDir, 'kv'), { recursive: true });
    expect(() => corruptStateTable(dataDir, Prng.fromText('t'))).toThrow(/no table/);
  });
});
