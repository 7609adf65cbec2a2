/**
 * Whether a leader in lease mode may hold a read lease, given what each voter told it of its own
 * side (the ReadTerms of its TCP link hello, peerLink/frames.ts).
 *
 * A lease (lease.ts) assumes that every voter of the quorum that confirmed it ignores campaigns
 * for as long as the leader's own timing says, and holds back its vote for an election timeout
 * after a restart (also in read-index mode after a lease-mode process: read-mode-marker.ts). A
 * member with a shorter election timeout or a looser clock bound waits less than the lease
 * assumes, and one in read-index mode is not promised to keep the rest of its side: with either,
 * a new leader could be elected while the old one still serves reads from its lease. So the
 * leader takes no lease until every other voter announced lease mode, a campaign wait at least
 * its own and the same drift bound; the member that does not is named.
 */
import type { NodeId } from '@holdfast/raft';
import type { ReadTerms } from '../peerLink/frames.js';

/** Why this leader may not hold a lease now (naming the first voter in the way), or undefined when it may. */
export function leaseRefusal(options: {
  selfId: NodeId;
  own: ReadTerms;
  voters: readonly NodeId[];
  /** What each peer's hello said; a peer absent here has not dialled this member since it started. */
  heard: ReadonlyMap<NodeId, ReadTerms | undefined>;
}): string | undefined {
  const { own } = options;
  for (const id of [...options.voters].sort((a, b) => a - b)) {
    if (id === options.selfId) continue;
    if (!options.heard.has(id)) return `member ${id} has not yet told its read mode (no link from it since this member started)`;
    const terms = options.heard.get(id);
    if (terms === undefined) return `member ${id} runs a release that does not tell its read mode`;
    if (terms.readMode !== 'lease') return `member ${id} runs --read-mode ${terms.readMode}, not lease`;
    if (terms.campaignWaitMs < own.campaignWaitMs) {
      return `member ${id} waits ${terms.campaignWaitMs} ms before campaigning, less than the ${own.campaignWaitMs} ms this member's lease assumes (--election-ticks, --tick-ms)`;
    }
    if (terms.clockDriftMaxPercent !== own.clockDriftMaxPercent) {
      return `member ${id} runs --clock-drift-max-percent ${terms.clockDriftMaxPercent}, this member ${own.clockDriftMaxPercent}`;
    }
  }
  return undefined;
}

/** This member's own side of a lease, as its hellos tell it. */
export function ownReadTerms(options: { readMode: 'read-index' | 'lease'; electionTicks: number; tickMs: number; clockDriftMaxPercent: number }): ReadTerms {
  return {
    readMode: options.readMode,
    campaignWaitMs: Math.max(0, options.electionTicks - 2) * options.tickMs,
    clockDriftMaxPercent: options.clockDriftMaxPercent,
  };
}
