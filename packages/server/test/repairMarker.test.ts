/**
 * The repair marker's loss term: what lets a member in repair vote for candidates whose last log
 * term is above it (packages/raft README, "Repair"). It must never be lower than a term the member
 * acknowledged in: unknown (no votes in repair) unless a copy the loss did not touch says it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRepairMarker, type RepairMarker, repairLossTerm, repairMarkerPath, writeRepairMarker } from '../src/repair.js';

const marker = (lossTerm?: number): RepairMarker => ({
  reason: 'log-dropped-records: test',
  findings: [],
  startedAtMs: 1,
  phase: 'rejoin',
  dropState: false,
  ...(lossTerm === undefined ? {} : { lossTerm }),
});

describe('the loss term of a repair', () => {
  it('is the term at the start that found the loss, when the term/vote file read intact', () => {
    expect(repairLossTerm({ previous: undefined, termVoteTrusted: true, termNow: 7 })).toBe(7);
  });

  it('is unknown when the term/vote file was missing or damaged (the log may have lost its newest term)', () => {
    expect(repairLossTerm({ previous: undefined, termVoteTrusted: false, termNow: 7 })).toBeUndefined();
    expect(repairLossTerm({ previous: undefined, termVoteTrusted: true, termNow: 0 })).toBeUndefined();
  });

  it('widens with a new loss during a repair, and an unknown one stays unknown', () => {
    expect(repairLossTerm({ previous: marker(5), termVoteTrusted: true, termNow: 7 })).toBe(7);
    expect(repairLossTerm({ previous: marker(), termVoteTrusted: true, termNow: 7 })).toBeUndefined();
    expect(repairLossTerm({ previous: marker(5), termVoteTrusted: false, termNow: 7 })).toBeUndefined();
  });
});

describe('the repair marker file', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'holdfast-repair-marker-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the loss term, and reads a marker of an earlier release (no loss term) as unknown', async () => {
    await writeRepairMarker(dir, marker(4));
    expect((await readRepairMarker(dir))?.lossTerm).toBe(4);
    const { lossTerm: _, ...older } = marker(4);
    writeFileSync(repairMarkerPath(dir), JSON.stringify(older));
    expect(await readRepairMarker(dir)).toMatchObject({ phase: 'rejoin' });
    expect((await readRepairMarker(dir))?.lossTerm).toBeUndefined();
    writeFileSync(repairMarkerPath(dir), JSON.stringify({ ...older, lossTerm: -1 }));
    expect((await readRepairMarker(dir))?.lossTerm).toBeUndefined();
  });
});
