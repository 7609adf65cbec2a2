/**
 * The term and vote kept in a second place. They live in the log's hard state, but the hard state
 * is written with the log's entries, and a damaged write-ahead file loses the last of them: a
 * member that forgot its vote could vote twice in one term (two leaders). So every change of term
 * or vote (rare: elections only) is also written to a small checksummed file beside the log, in
 * parallel with the log's write and before any vote leaves (Ready rule 1); at open the newer of
 * the two copies wins.
 */
import { Packr } from 'msgpackr';
import { readFileIfExists, writeFileDurably } from './durable-file.js';
import { checkRecord, frameRecord } from './record.js';

export interface TermVote {
  readonly term: number;
  /** The member voted for in `term`, or 0 for none. */
  readonly vote: number;
}

export type TermVoteRead =
  | { readonly kind: 'missing' }
  | { readonly kind: 'ok'; readonly termVote: TermVote }
  /** The file fails its checksum or does not decode: the log's copy is all there is. */
  | { readonly kind: 'damaged'; readonly reason: string };

const packr = new Packr({ useRecords: false, moreTypes: false });
const FILE_BYTES_MAX = 4096;

export async function readTermVoteFile(path: string): Promise<TermVoteRead> {
  const bytes = await readFileIfExists(path);
  if (bytes === undefined) return { kind: 'missing' };
  const check = checkRecord(bytes, FILE_BYTES_MAX);
  if (check.kind !== 'ok') return { kind: 'damaged', reason: check.reason };
  let decoded: unknown;
  try {
    decoded = packr.unpack(check.payload);
  } catch {
    return { kind: 'damaged', reason: 'does not decode' };
  }
  const { term, vote } = (decoded ?? {}) as Partial<TermVote>;
  if (!isCount(term) || !isCount(vote)) return { kind: 'damaged', reason: 'holds no term and vote' };
  return { kind: 'ok', termVote: { term, vote } };
}

export async function writeTermVoteFile(path: string, termVote: TermVote): Promise<void> {
  await writeFileDurably(path, frameRecord(packr.pack({ term: termVote.term, vote: termVote.vote })));
}

/**
 * The newer of two copies: the higher term; in one term a vote is cast once (0 → id), so the copy
 * that holds it. Two different votes in one term cannot both be right: `conflict` is set and the
 * caller treats the member as damaged.
 */
export function newerTermVote(a: TermVote, b: TermVote): { termVote: TermVote; conflict: boolean } {
  if (a.term !== b.term) return { termVote: a.term > b.term ? a : b, conflict: false };
  if (a.vote === b.vote || b.vote === 0) return { termVote: a, conflict: false };
  if (a.vote === 0) return { termVote: b, conflict: false };
  return { termVote: a, conflict: true };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
