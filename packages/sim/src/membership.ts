import type { ConfChange, ConfState, NodeId, Prng } from '@holdfast/raft';

/** What the membership driver needs from the cluster. */
export interface MembershipControl {
  readonly now: number;
  /** The leader's applied configuration, or undefined when there is no leader. */
  leaderConfState(): ConfState | undefined;
  leaderId(): NodeId;
  leaderCommit(): number;
  /** Proposes on the leader; false when there is none or it refused. */
  proposeConfChange(change: ConfChange): boolean;
  /** Stops a removed member for good. */
  retire(id: NodeId): void;
  /** Creates and starts a member with a fresh, empty disk. */
  addNode(id: NodeId): void;
  appliedIndexOf(id: NodeId): number;
  allocateNodeId(): NodeId;
  record(description: string): void;
}

type Phase =
  | { readonly kind: 'idle' }
  | { readonly kind: 'removing'; readonly target: NodeId }
  | { readonly kind: 'addingLearner'; readonly newId: NodeId }
  | { readonly kind: 'catchingUp'; readonly newId: NodeId }
  | { readonly kind: 'promoting'; readonly newId: NodeId };

/**
 * Removes a member and adds a replacement with a fresh id, first as a learner, then (once it has
 * caught up) as a voter: one change at a time, each proposed again until the leader applied it,
 * so that leader changes and lost messages in between are survived.
 */
export class MembershipDriver {
  private phase: Phase = { kind: 'idle' };
  private lastProposalAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly retryTicks: number,
    private readonly random: Prng,
  ) {}

  get isIdle(): boolean {
    return this.phase.kind === 'idle';
  }

  describe(): string {
    const phase = this.phase;
    switch (phase.kind) {
      case 'idle':
        return 'idle';
      case 'removing':
        return `removing ${phase.target}`;
      default:
        return `${phase.kind} ${phase.newId}`;
    }
  }

  /** Starts removing a random voter; false when a change is already under way or no leader. */
  begin(control: MembershipControl): boolean {
    if (this.phase.kind !== 'idle') return false;
    const conf = control.leaderConfState();
    if (conf === undefined || conf.learners.length > 0 || conf.voters.length < 3) return false;
    const leader = control.leaderId();
    // Mostly a follower; sometimes the leader itself, which must step down once removed.
    const followers = conf.voters.filter((id) => id !== leader);
    const target = followers.length > 0 && this.random.chance(0.8) ? this.random.pick(followers) : leader;
    this.phase = { kind: 'removing', target };
    this.lastProposalAt = Number.NEGATIVE_INFINITY;
    control.record(`membership: begin removing ${target}`);
    return true;
  }

  advance(control: MembershipControl): void {
    const phase = this.phase;
    if (phase.kind === 'idle') return;
    const conf = control.leaderConfState();
    if (conf === undefined) return;
    switch (phase.kind) {
      case 'removing':
        this.advanceRemoval(control, conf, phase.target);
        return;
      case 'addingLearner':
        this.advanceLearner(control, conf, phase.newId);
        return;
      case 'catchingUp':
        if (control.appliedIndexOf(phase.newId) + 5 >= control.leaderCommit()) {
          this.phase = { kind: 'promoting', newId: phase.newId };
          this.lastProposalAt = Number.NEGATIVE_INFINITY;
        }
        return;
      case 'promoting':
        this.advancePromotion(control, conf, phase.newId);
        return;
    }
  }

  private advanceRemoval(control: MembershipControl, conf: ConfState, target: NodeId): void {
    if (!conf.voters.includes(target) && !conf.learners.includes(target)) {
      control.retire(target);
      const newId = control.allocateNodeId();
      this.phase = { kind: 'addingLearner', newId };
      this.lastProposalAt = Number.NEGATIVE_INFINITY;
      control.record(`membership: ${target} removed; adding ${newId} as a learner`);
      return;
    }
    this.maybePropose(control, { type: 'removeNode', nodeId: target });
  }

  private advanceLearner(control: MembershipControl, conf: ConfState, newId: NodeId): void {
    if (conf.learners.includes(newId) || conf.voters.includes(newId)) {
      control.addNode(newId);
      this.phase = { kind: 'catchingUp', newId };
      control.record(`membership: learner ${newId} started`);
      return;
    }
    this.maybePropose(control, { type: 'addLearner', nodeId: newId });
  }

  private advancePromotion(control: MembershipControl, conf: ConfState, newId: NodeId): void {
    if (conf.voters.includes(newId)) {
      this.phase = { kind: 'idle' };
      control.record(`membership: ${newId} is a voter`);
      return;
    }
    this.maybePropose(control, { type: 'promoteLearner', nodeId: newId });
  }

  private maybePropose(control: MembershipControl, change: ConfChange): void {
    if (control.now - this.lastProposalAt < this.retryTicks) return;
    if (control.proposeConfChange(change)) this.lastProposalAt = control.now;
  }
}
