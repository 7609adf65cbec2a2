/**
 * What each member's release implements, as its Raft batches say, and the apply version a leader
 * stamps on the writes it proposes (see apply-version.ts in @holdfast/storage). A version is
 * stamped only once every member of the configuration has said it implements it, so a cluster
 * upgraded one member at a time applies every command alike on every member, old and new.
 */
import { APPLY_VERSION_FIRST } from '@holdfast/storage';

type NodeId = number;

export class ApplyVersions {
  /** By member: the newest version its running release implements, from its latest batch. */
  private readonly heard = new Map<NodeId, number>();

  constructor(
    private readonly selfId: NodeId,
    /** The newest version this member's release implements. */
    readonly own: number,
  ) {}

  /** A batch from `from` carried `version` (0: a release from before versions, which implements 1). */
  heardFrom(from: NodeId, version: number): void {
    this.heard.set(from, version === 0 ? APPLY_VERSION_FIRST : version);
  }

  /** A removed member no longer holds the version back. */
  forget(id: NodeId): void {
    this.heard.delete(id);
  }

  /**
   * The version to stamp on a write proposed now: the newest that this member and every other
   * member in `memberIds` implement, as heard since this process started; the state's
   * `clusterVersion` while some member has not been heard from yet. Never below the state's
   * version (apply would raise it to that anyway). No members known at all: the state's version.
   */
  stamp(memberIds: Iterable<NodeId>, clusterVersion: number): number {
    let version = this.own;
    let known = false;
    for (const id of memberIds) {
      known = true;
      if (id === this.selfId) continue;
      const theirs = this.heard.get(id);
      if (theirs === undefined) return clusterVersion;
      if (theirs < version) version = theirs;
    }
    return known ? Math.max(version, clusterVersion) : clusterVersion;
  }
}
