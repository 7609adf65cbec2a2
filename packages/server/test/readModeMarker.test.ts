/**
 * The vote held back after a start (read-mode-marker.ts): in lease mode, after a process that ran
 * lease mode, and on state of unknown history; not on a data dir that ran read-index mode only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { holdsVotesAtStart, readReadModeMarker, writeReadModeMarker } from '../src/read-mode-marker.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('read mode marker', () => {
  it('holds votes back in lease mode, after lease mode, and on state that says nothing of its mode', () => {
    expect(holdsVotesAtStart({ mode: 'lease', previous: undefined, hadState: false })).toBe(true);
    expect(holdsVotesAtStart({ mode: 'lease', previous: 'read-index', hadState: true })).toBe(true);
    // Restarted in read-index mode after a lease-mode process: the window this closes.
    expect(holdsVotesAtStart({ mode: 'read-index', previous: 'lease', hadState: true })).toBe(true);
    expect(holdsVotesAtStart({ mode: 'read-index', previous: undefined, hadState: true })).toBe(true);
    expect(holdsVotesAtStart({ mode: 'read-index', previous: 'read-index', hadState: true })).toBe(false);
    expect(holdsVotesAtStart({ mode: 'read-index', previous: undefined, hadState: false })).toBe(false);
  });

  it('keeps the mode of the last start, and reads a torn marker as unknown', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'read-mode-'));
    dirs.push(dir);
    expect(readReadModeMarker(dir)).toBeUndefined();
    writeReadModeMarker(dir, 'lease');
    expect(readReadModeMarker(dir)).toBe('lease');
    writeReadModeMarker(dir, 'read-index');
    expect(readReadModeMarker(dir)).toBe('read-index');
    writeFileSync(path.join(dir, 'read-mode'), 'lea');
    expect(readReadModeMarker(dir)).toBeUndefined();
  });
});
