import type { Member__Output, MemberStatus__Output } from '@holdfast/protocol';

export interface Member {
  id: number;
  name: string;
  region: string;
  clientAddress: string;
  peerAddress: string;
  learner: boolean;
}

export interface FollowerProgress {
  id: number;
  matchIndex: number;
  nextIndex: number;
  /** probe | replicate | snapshot */
  state: string;
}

export interface MemberStatus extends Member {
  /** follower | preCandidate | candidate | leader | unreachable */
  role: string;
  term: number;
  leaderId: number;
  commitIndex: number;
  appliedIndex: number;
  /** Filled in only for the leader: what it knows of each follower. */
  followers: FollowerProgress[];
  /** Why the member could not be asked, when role is unreachable. */
  error: string;
  /** Bytes of keys and values the member holds (as of its applied index). */
  storeBytes: number;
  /** The store quota the member stamps on writes when it leads (`--store-bytes-max`). */
  storeBytesMax: number;
  /** The newest apply version the member's release implements (docs/operations.md, Upgrading). */
  applyVersionMax: number;
  /** The apply version of the member's state, as of its applied index: the cluster's version. */
  clusterVersion: number;
  /** Integrity alarms the member raised (damaged state, a state hash that disagrees), newest last. */
  alarms: string[];
  /** The member refuses every read until it is repaired. */
  readsRefused: boolean;
  /**
   * The member repairs itself from the others (its disk lost data); it does not vote until done.
   * `repairReason` names the damage.
   */
  repairing: boolean;
  repairReason: string;
  /** The last repair the member finished since its process started: when, why, how long ('' if none). */
  lastRepair: string;
  /** Round-trip times the member measured to its peers (while leading), in milliseconds. */
  peerRtts: PeerRtt[];
  /** The member's election timeout in milliseconds, and its read mode (read-index | lease). */
  electionTimeoutMs: number;
  /** The width of the election timeout's randomized range in ms (it is drawn from [timeout, timeout + spread)); 0 from older releases. */
  electionSpreadMs: number;
  readMode: string;
  /** A leader in lease mode: milliseconds left on its read lease (0: none held). */
  leaseRemainingMs: number;
  /** Keys the member holds (as of its applied index). */
  keyCount: number;
  /** Reads and watches below this revision are refused (the key history is compacted to it); 0: no history kept. */
  compactRevision: number;
  /** Bytes of key history records on the member's disk (LevelDB's estimate). */
  historyBytes: number;
}

export interface PeerRtt {
  peerId: number;
  /** Smoothed round-trip time, and the largest sample of the last minute or two. */
  rttMs: number;
  rttMaxMs: number;
  samples: number;
}

export function memberFromWire(wire: Member__Output): Member {
  return {
    id: wire.id,
    name: wire.name,
    region: wire.region,
    clientAddress: wire.clientAddress,
    peerAddress: wire.peerAddress,
    learner: wire.learner,
  };
}

const noMember: Member__Output = { id: 0, name: '', region: '', clientAddress: '', peerAddress: '', learner: false };

export function memberStatusFromWire(wire: MemberStatus__Output): MemberStatus {
  return {
    ...memberFromWire(wire.member ?? noMember),
    role: wire.role,
    term: wire.term,
    leaderId: wire.leaderId,
    commitIndex: wire.commitIndex,
    appliedIndex: wire.appliedIndex,
    followers: wire.followers.map((follower) => ({
      id: follower.id,
      matchIndex: follower.matchIndex,
      nextIndex: follower.nextIndex,
      state: follower.state,
    })),
    error: wire.error,
    storeBytes: wire.storeBytes,
    storeBytesMax: wire.storeBytesMax,
    applyVersionMax: wire.applyVersionMax,
    clusterVersion: wire.clusterVersion,
    alarms: [...wire.alarms],
    readsRefused: wire.readsRefused,
    repairing: wire.repairing,
    repairReason: wire.repairReason,
    lastRepair: wire.lastRepair,
    peerRtts: wire.peerRtts.map((r) => ({ peerId: r.peerId, rttMs: r.rttUs / 1000, rttMaxMs: r.rttMaxUs / 1000, samples: r.samples })),
    electionTimeoutMs: wire.electionTimeoutMs,
    electionSpreadMs: wire.electionSpreadMs,
    readMode: wire.readMode,
    leaseRemainingMs: wire.leaseRemainingMs,
    keyCount: wire.keyCount,
    compactRevision: wire.compactRevision,
    historyBytes: wire.historyBytes,
  };
}
