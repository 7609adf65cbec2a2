/**
 * The cost of the key history (packages/storage/src/history.ts), measured on the state machine
 * alone (no Raft, no network): bytes on disk per revision, apply speed with and without it, and
 * the time a compaction of every revision takes.
 *
 *   node bench/dist/history-cost.js [--revisions N] [--keys N] [--value-bytes N] [--commands-per-entry N]
 *
 * Workload: puts of `--value-bytes` values (random bytes, so LevelDB's block compression does not
 * flatter the figure) to keys drawn uniformly from `--keys` 16-byte keys,
 * `--commands-per-entry` commands to a log entry (as a leader packs them), 64 entries to an apply
 * call. The same writes run twice into fresh directories: stamped at the apply version before the
 * history (no history kept) and at the current one. Bytes are the files of the LevelDB directory
 * after the writes (LevelDB's own compaction has run or not: the figure is what a member holds).
 */
import { readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { APPLY_VERSION_HISTORY, APPLY_VERSION_LATEST, encodeCommand, encodeCommandBatch, type KvCommand, KvStateMachine } from '@holdfast/storage';

interface Options {
  readonly revisions: number;
  readonly keys: number;
  readonly valueBytes: number;
  readonly commandsPerEntry: number;
}

const entriesPerApply = 64;

function parseOptions(argv: readonly string[]): Options {
  const options = { revisions: 1_000_000, keys: 10_000, valueBytes: 100, commandsPerEntry: 64 };
  for (let position = 0; position < argv.length; position += 2) {
    const value = Number(argv[position + 1]);
    if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${argv[position]} needs a positive whole number`);
    const name = argv[position];
    if (name === '--revisions') options.revisions = value;
    else if (name === '--keys') options.keys = value;
    else if (name === '--value-bytes') options.valueBytes = value;
    else if (name === '--commands-per-entry') options.commandsPerEntry = value;
    else throw new Error(`unknown option ${name}`);
  }
  return options;
}

function directoryBytes(dir: string): number {
  let bytes = 0;
  for (const name of readdirSync(dir)) {
    const stat = statSync(join(dir, name));
    bytes += stat.isDirectory() ? directoryBytes(join(dir, name)) : stat.size;
  }
  return bytes;
}

/** A seeded generator (mulberry32), so both runs write the same keys. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Applies `options.revisions` puts at `applyVersion`; returns the next log index and the seconds taken. */
async function writeRevisions(sm: KvStateMachine, options: Options, applyVersion: number): Promise<{ nextIndex: number; seconds: number }> {
  const random = seeded(7);
  // Incompressible values: LevelDB compresses its blocks, and repeated bytes would flatter the history.
  const values = Array.from({ length: 256 }, () => Buffer.from(Array.from({ length: options.valueBytes }, () => Math.floor(random() * 256))));
  let index = 1;
  let written = 0;
  const startedMs = performance.now();
  while (written < options.revisions) {
    const entries = [];
    for (let e = 0; e < entriesPerApply && written < options.revisions; e++) {
      const commands: Uint8Array[] = [];
      for (let c = 0; c < options.commandsPerEntry && written < options.revisions; c++, written++) {
        const key = Buffer.from(`key-${String(Math.floor(random() * options.keys)).padStart(12, '0')}`);
        const value = values[written % values.length]!;
        const command: KvCommand = { operation: { type: 'put', key, value }, proposedAtMs: 1, applyVersion };
        commands.push(encodeCommand(command));
      }
      entries.push({ type: 'normal' as const, index: index++, term: 1, data: encodeCommandBatch(commands) });
    }
    await sm.apply(entries);
  }
  return { nextIndex: index, seconds: (performance.now() - startedMs) / 1000 };
}

async function measure(options: Options, applyVersion: number, compact: boolean): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-history-cost-'));
  try {
    let sm = await KvStateMachine.open({ dir });
    const { nextIndex, seconds } = await writeRevisions(sm, options, applyVersion);
    await sm.sync();
    const figures: Record<string, number> = {
      revisions: sm.revision,
      putsPerSecond: Math.round(options.revisions / seconds),
      historyBytesEstimate: await sm.historyBytes(),
    };
    await sm.close();
    figures['diskBytes'] = directoryBytes(dir);
    if (!compact) return figures;
    sm = await KvStateMachine.open({ dir });
    const startedMs = performance.now();
    const compaction: KvCommand = { operation: { type: 'compact', revision: sm.revision }, proposedAtMs: 1, applyVersion };
    await sm.apply([{ type: 'normal', index: nextIndex, term: 1, data: encodeCommand(compaction) }]);
    await sm.historyDropped();
    figures['compactionMs'] = Math.round(performance.now() - startedMs);
    await sm.close();
    figures['diskBytesAfterCompaction'] = directoryBytes(dir);
    return figures;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  console.log(`history cost: ${options.revisions} revisions, ${options.keys} keys, ${options.valueBytes}-byte values, ${options.commandsPerEntry} commands per entry`);
  const without = await measure(options, APPLY_VERSION_HISTORY - 1, false);
  console.log(`without history (apply version ${APPLY_VERSION_HISTORY - 1}): ${JSON.stringify(without)}`);
  const withHistory = await measure(options, APPLY_VERSION_LATEST, true);
  console.log(`with history (apply version ${APPLY_VERSION_LATEST}): ${JSON.stringify(withHistory)}`);
  const perRevision = ((withHistory['diskBytes'] ?? 0) - (without['diskBytes'] ?? 0)) / options.revisions;
  console.log(`history on disk: ${perRevision.toFixed(1)} bytes per revision (with ${options.valueBytes}-byte values and 16-byte keys)`);
  console.log(`compaction of ${withHistory['revisions']} revisions: ${withHistory['compactionMs']} ms`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
