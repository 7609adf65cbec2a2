/** The core's vocabulary this package uses, in one place. */
export type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  LogStorage,
  NodeId,
  Snapshot,
  SnapshotMeta,
} from '@holdfast/raft';
