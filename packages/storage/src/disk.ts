/**
 * The one seam through which storage reaches the disk: opening a LevelDB database and the few
 * directory operations a restore swap needs. Production (`levelDisk`) is classic-level (through
 * `level`) and node:fs; the in-memory twin (`MemoryDisk`) keeps each database in a memory-level
 * instance, so the log store and the state machine run unchanged in tests and in the simulator,
 * whose simulated disk builds on it to lose, tear and corrupt what was written.
 */
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { Level } from 'level';
import { MemoryLevel } from 'memory-level';
import { type DroppedRecords, NOTHING_DROPPED, readLevelRecoveryReport } from './level-recovery.js';

type Bytes = Uint8Array;

/**
 * A LevelDB database with byte keys and values. Typed as classic-level's (whose write options
 * carry `sync`); memory-level implements the same abstract-level API and ignores `sync`.
 */
export type Database = Level<Bytes, Bytes>;

export { type DroppedRecords, NOTHING_DROPPED } from './level-recovery.js';

export interface OpenedDatabase {
  readonly db: Database;
  /** What recovery dropped at this open (the caller decides what the loss means). */
  readonly droppedRecords: DroppedRecords;
}

export interface OpenDatabaseOptions {
  /** Default true; when false, opening a database that does not exist fails. */
  readonly createIfMissing?: boolean;
  /**
   * Bytes LevelDB gathers in memory before it writes them out as a table (its write_buffer_size;
   * up to twice this is held while the full one is written). Default LevelDB's, 4 MiB.
   */
  readonly writeBufferBytes?: number;
}

export interface StorageDisk {
  /** Opens the database at `path` (creating its directory unless createIfMissing is false). */
  openDatabase(path: string, options?: OpenDatabaseOptions): Promise<OpenedDatabase>;
  /** Removes `path` and everything under it; nothing happens if it does not exist. */
  remove(path: string): Promise<void>;
  /** Renames a closed database's directory. */
  rename(from: string, to: string): Promise<void>;
  exists(path: string): Promise<boolean>;
  /** Makes renames within the directory `path` durable (fsync of the directory). */
  syncDirectory(path: string): Promise<void>;
}

const byteEncodings = { keyEncoding: 'view', valueEncoding: 'view' } as const;

/** classic-level and node:fs: the disk of a running node. */
export const levelDisk: StorageDisk = {
  async openDatabase(path, options = {}) {
    const createIfMissing = options.createIfMissing ?? true;
    if (createIfMissing) await mkdir(path, { recursive: true });
    const db = new Level<Bytes, Bytes>(path, options.writeBufferBytes === undefined ? byteEncodings : { ...byteEncodings, writeBufferSize: options.writeBufferBytes });
    await db.open({ createIfMissing });
    // LevelDB tells what recovery dropped only in its LOG file (level-recovery.ts).
    return { db, droppedRecords: await readLevelRecoveryReport(path) };
  },
  async remove(path) {
    await rm(path, { recursive: true, force: true });
  },
  async rename(from, to) {
    await rename(from, to);
  },
  async exists(path) {
    try {
      await stat(path);
      return true;
    } catch {
      return false;
    }
  },
  async syncDirectory(path) {
    const handle = await open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

/** Throws what classic-level throws when a database to open does not exist. */
function notFound(path: string): Error {
  return Object.assign(new Error(`database ${path} does not exist`), { code: 'LEVEL_DATABASE_NOT_OPEN' });
}

/**
 * Databases kept in memory, one memory-level instance per path, kept across close and reopen:
 * everything written is durable at once and nothing is ever lost (the simulator's disk adds that).
 */
export class MemoryDisk implements StorageDisk {
  protected readonly databases = new Map<string, MemoryLevel<Bytes, Bytes>>();

  async openDatabase(path: string, options: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
    let db = this.databases.get(path);
    if (db === undefined) {
      if (options.createIfMissing === false) throw notFound(path);
      db = this.createDatabase();
      this.databases.set(path, db);
    }
    if (db.status === 'open') throw Object.assign(new Error(`database ${path} is already open (LOCK held)`), { code: 'LEVEL_LOCKED' });
    await db.open();
    return { db: db as unknown as Database, droppedRecords: NOTHING_DROPPED };
  }

  async remove(path: string): Promise<void> {
    for (const stored of [...this.databases.keys()]) {
      if (stored === path || stored.startsWith(`${path}/`)) {
        await this.databases.get(stored)?.close();
        this.databases.delete(stored);
      }
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const db = this.databases.get(from);
    if (db === undefined) throw Object.assign(new Error(`rename: ${from} does not exist`), { code: 'ENOENT' });
    if (db.status === 'open') throw new Error(`rename: ${from} is open`);
    this.databases.delete(from);
    this.databases.set(to, db);
  }

  async exists(path: string): Promise<boolean> {
    return this.databases.has(path);
  }

  async syncDirectory(_path: string): Promise<void> {}

  /** A new empty database (the simulator's disk returns one that records its writes). */
  protected createDatabase(): MemoryLevel<Bytes, Bytes> {
    return new MemoryLevel<Bytes, Bytes>(byteEncodings);
  }
}
