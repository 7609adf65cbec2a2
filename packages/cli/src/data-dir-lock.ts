import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataDirInUseError } from './errors.js';

/** The file a running `cluster up` holds in its data directory, with its process id. */
export const LOCK_FILE_NAME = 'cluster-up.pid';

export interface DataDirLock {
  readonly path: string;
  release(): void;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holderOf(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the data directory for this process, or throws DataDirInUseError naming the process
 * that holds it. A second `cluster up` on the same directory would start members on the ports
 * and LevelDB folders of the running ones: they would fail on LevelDB's lock and write that
 * into the running members' logs. The file appears with its content at once (written aside,
 * then hard-linked into place, which fails if it exists), so two starts at once cannot both win
 * and none ever sees it empty; one left by a process that is gone (killed, machine restarted) is
 * taken over.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE_NAME);
  const aside = `${path}.${process.pid}`;
  writeFileSync(aside, `${process.pid}\n`);
  try {
    return takeLock(dataDir, path, aside);
  } finally {
    rmSync(aside, { force: true });
  }
}

function takeLock(dataDir: string, path: string, aside: string): DataDirLock {
  for (let tries = 0; tries < 2; tries += 1) {
    try {
      linkSync(aside, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = holderOf(path);
      if (holder !== undefined && holder !== process.pid && isAlive(holder)) {
        throw new DataDirInUseError(
          `${dataDir} is in use by process ${holder} (a running \`holdfast cluster up\` or \`npm start\`): stop it first (Ctrl-C in its shell, or kill ${holder}), or give another --data-dir`,
        );
      }
      // Stale: its process is gone.
      rmSync(path, { force: true });
      continue;
    }
    return {
      path,
      release: () => {
        if (holderOf(path) === process.pid) rmSync(path, { force: true });
      },
    };
  }
  throw new DataDirInUseError(`${dataDir}: another process took ${path} while this one started; try again`);
}
