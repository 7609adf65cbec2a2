// Original file: proto/holdfast/v1/kv.proto

import type { Member as _holdfast_v1_Member, Member__Output as _holdfast_v1_Member__Output } from '../../holdfast/v1/Member.js';
import type { FollowerProgress as _holdfast_v1_FollowerProgress, FollowerProgress__Output as _holdfast_v1_FollowerProgress__Output } from '../../holdfast/v1/FollowerProgress.js';
import type { PeerRtt as _holdfast_v1_PeerRtt, PeerRtt__Output as _holdfast_v1_PeerRtt__Output } from '../../holdfast/v1/PeerRtt.js';
import type { Long } from '@grpc/proto-loader';

export interface MemberStatus {
  'member'?: (_holdfast_v1_Member | null);
  /**
   * follower | preCandidate | candidate | leader | unreachable
   */
  'role'?: (string);
  'term'?: (number | string | Long);
  'leaderId'?: (number | string | Long);
  'commitIndex'?: (number | string | Long);
  'appliedIndex'?: (number | string | Long);
  /**
   * As seen by the leader; only filled in the leader's own status.
   */
  'followers'?: (_holdfast_v1_FollowerProgress)[];
  'error'?: (string);
  /**
   * Bytes of keys and values the member holds (as of its applied index), and the store quota
   * it stamps on writes when it leads (--store-bytes-max).
   */
  'storeBytes'?: (number | string | Long);
  'storeBytesMax'?: (number | string | Long);
  /**
   * The newest apply version the member's release implements, and the version its state was
   * applied at (the cluster's, as of its applied index). A leader stamps writes with a newer
   * version only once every member implements it (docs/operations.md, Upgrading).
   */
  'applyVersionMax'?: (number);
  'clusterVersion'?: (number);
  /**
   * Integrity alarms the member raised, newest last: a damaged state record, a state hash that
   * disagrees with another member's at the same index (docs/operations.md, Integrity alarms).
   * Empty while the member is healthy.
   */
  'alarms'?: (string)[];
  /**
   * The member refuses every read (it found its state damaged, or is in the minority of a
   * state hash comparison) until it is repaired.
   */
  'readsRefused'?: (boolean);
  /**
   * The member repairs itself from the others: its disk lost data it had (entries it had
   * acknowledged, or state records). It does not vote or campaign until it holds what a leader
   * had committed when it answered (docs/operations.md, Repair). `repair_reason` names the damage.
   */
  'repairing'?: (boolean);
  'repairReason'?: (string);
  /**
   * Round-trip times this member measured to its peers from the Raft traffic it exchanges with
   * them (a leader's appends and heartbeats and their answers), smoothed. Empty for a peer with
   * no sample yet.
   */
  'peerRtts'?: (_holdfast_v1_PeerRtt)[];
  /**
   * The member's election timeout (ticks x tick length) and read mode (read-index | lease).
   */
  'electionTimeoutMs'?: (number);
  'readMode'?: (string);
  /**
   * A leader in lease mode: milliseconds its read lease has left (0: none held now).
   */
  'leaseRemainingMs'?: (number);
  /**
   * The key history (docs/operations.md, Compaction): keys held, the revision below which reads
   * and watches are refused, and the bytes of history records on disk (LevelDB's estimate).
   */
  'keyCount'?: (number | string | Long);
  'compactRevision'?: (number | string | Long);
  'historyBytes'?: (number | string | Long);
  /**
   * The last repair this member finished since its process started: when it finished, why it was
   * needed and how long it took (empty if none). Alarms end with the repair (a repaired member is
   * healthy); this keeps the reason visible to an operator.
   */
  'lastRepair'?: (string);
  /**
   * The width of the election timeout's randomized range (spread ticks x tick length): the member
   * campaigns after [election_timeout_ms, election_timeout_ms + election_spread_ms). 0 from
   * releases before it was configurable (their spread is election_timeout_ms).
   */
  'electionSpreadMs'?: (number);
}

export interface MemberStatus__Output {
  'member': (_holdfast_v1_Member__Output | null);
  /**
   * follower | preCandidate | candidate | leader | unreachable
   */
  'role': (string);
  'term': (number);
  'leaderId': (number);
  'commitIndex': (number);
  'appliedIndex': (number);
  /**
   * As seen by the leader; only filled in the leader's own status.
   */
  'followers': (_holdfast_v1_FollowerProgress__Output)[];
  'error': (string);
  /**
   * Bytes of keys and values the member holds (as of its applied index), and the store quota
   * it stamps on writes when it leads (--store-bytes-max).
   */
  'storeBytes': (number);
  'storeBytesMax': (number);
  /**
   * The newest apply version the member's release implements, and the version its state was
   * applied at (the cluster's, as of its applied index). A leader stamps writes with a newer
   * version only once every member implements it (docs/operations.md, Upgrading).
   */
  'applyVersionMax': (number);
  'clusterVersion': (number);
  /**
   * Integrity alarms the member raised, newest last: a damaged state record, a state hash that
   * disagrees with another member's at the same index (docs/operations.md, Integrity alarms).
   * Empty while the member is healthy.
   */
  'alarms': (string)[];
  /**
   * The member refuses every read (it found its state damaged, or is in the minority of a
   * state hash comparison) until it is repaired.
   */
  'readsRefused': (boolean);
  /**
   * The member repairs itself from the others: its disk lost data it had (entries it had
   * acknowledged, or state records). It does not vote or campaign until it holds what a leader
   * had committed when it answered (docs/operations.md, Repair). `repair_reason` names the damage.
   */
  'repairing': (boolean);
  'repairReason': (string);
  /**
   * Round-trip times this member measured to its peers from the Raft traffic it exchanges with
   * them (a leader's appends and heartbeats and their answers), smoothed. Empty for a peer with
   * no sample yet.
   */
  'peerRtts': (_holdfast_v1_PeerRtt__Output)[];
  /**
   * The member's election timeout (ticks x tick length) and read mode (read-index | lease).
   */
  'electionTimeoutMs': (number);
  'readMode': (string);
  /**
   * A leader in lease mode: milliseconds its read lease has left (0: none held now).
   */
  'leaseRemainingMs': (number);
  /**
   * The key history (docs/operations.md, Compaction): keys held, the revision below which reads
   * and watches are refused, and the bytes of history records on disk (LevelDB's estimate).
   */
  'keyCount': (number);
  'compactRevision': (number);
  'historyBytes': (number);
  /**
   * The last repair this member finished since its process started: when it finished, why it was
   * needed and how long it took (empty if none). Alarms end with the repair (a repaired member is
   * healthy); this keeps the reason visible to an operator.
   */
  'lastRepair': (string);
  /**
   * The width of the election timeout's randomized range (spread ticks x tick length): the member
   * campaigns after [election_timeout_ms, election_timeout_ms + election_spread_ms). 0 from
   * releases before it was configurable (their spread is election_timeout_ms).
   */
  'electionSpreadMs': (number);
}
