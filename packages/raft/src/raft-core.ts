import type { RaftNode } from './raft-node.js';

/**
 * The consensus core as the code that drives it sees it: the calls a host loop (the server's
 * driver, the simulator's node) makes on a RaftNode. Derived from RaftNode itself, so a change to
 * the core's API shows up here and in every host at once; hosts type their core as this so that
 * they do not reach for anything else on the class (campaign, internal helpers).
 */
export type RaftCore = Pick<
  RaftNode,
  | 'tick'
  | 'step'
  | 'propose'
  | 'proposeConfChange'
  | 'readIndex'
  | 'transferLeadership'
  | 'hasReady'
  | 'ready'
  | 'advance'
  | 'reportUnreachable'
  | 'reportSnapshot'
  | 'status'
  | 'confStateAt'
>;
