/**
 * Small files that must survive a crash whole or not at all: written to a temporary file, synced,
 * renamed over the target, and the directory synced so the rename itself is durable.
 */
import { closeSync, fsyncSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeFileDurably(path: string, bytes: Uint8Array): Promise<void> {
  const temporary = `${path}.partial`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(bytes);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  await syncDirectoryOf(path);
}

/** The same as writeFileDurably, for the synchronous start path (markers written before the node serves). */
export function writeFileDurablySync(path: string, contents: string | Uint8Array): void {
  const temporary = `${path}.partial`;
  const file = openSync(temporary, 'w');
  try {
    writeFileSync(file, contents); // loops until every byte is written
    fsyncSync(file);
  } finally {
    closeSync(file);
  }
  renameSync(temporary, path);
  syncDirectoryOfSync(path);
}

/** The file's bytes, or undefined when it does not exist. */
export async function readFileIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Removes the file durably (nothing happens if it does not exist). */
export async function removeFileDurably(path: string): Promise<void> {
  await rm(path, { force: true });
  await syncDirectoryOf(path);
}

async function syncDirectoryOf(path: string): Promise<void> {
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

function syncDirectoryOfSync(path: string): void {
  const directory = openSync(dirname(path), 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
}
