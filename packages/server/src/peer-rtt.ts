/**
 * Round-trip times to peers, measured from the traffic a member already exchanges, two ways:
 * - a heartbeat sent to a peer to that peer's next heartbeat answer (a leader's rows); one
 *   heartbeat per peer is timed at a time, one unanswered for PROBE_FORGET_MS is forgotten;
 * - on the TCP peer link, a batch of messages to its ack, less the time the listener held the
 *   ack (tcpSender.ts, `measured`): every member that sends to a peer times it, so a follower
 *   has a row for its leader (its answers travel on its own link) and for any peer it sent to
 *   (votes), and `status --rtt` shows a row from every member.
 */
import type { Message, NodeId } from '@holdfast/raft';

/** A timed heartbeat unanswered this long is forgotten (the next one is timed instead). */
const PROBE_FORGET_MS = 10_000;
/** Weight of a new sample in the smoothed RTT (as TCP's SRTT, RFC 6298: 1/8). */
const SMOOTHING = 1 / 8;
/** The largest sample is kept over this window. */
const MAX_WINDOW_MS = 60_000;
/** Peers tracked at most (members of a cluster are far fewer). */
const PEERS_MAX = 1024;

interface PeerSamples {
  probeSentMs: number | undefined;
  smoothedMs: number;
  windowMaxMs: number;
  windowStartMs: number;
  previousWindowMaxMs: number;
  samples: number;
}

export interface PeerRttView {
  readonly peerId: NodeId;
  readonly rttMs: number;
  /** The largest sample in the last one to two minutes. */
  readonly rttMaxMs: number;
  readonly samples: number;
}

export class PeerRtt {
  private readonly peers = new Map<NodeId, PeerSamples>();
  /** When any message from each peer last arrived (this member's monotonic clock). */
  private readonly heardAtMs = new Map<NodeId, number>();

  constructor(
    private readonly nowMs: () => number,
    private readonly observe?: (peer: NodeId, rttMs: number) => void,
  ) {}

  /** Messages this member sends (before they leave). */
  sent(messages: readonly Message[]): void {
    const now = this.nowMs();
    for (const m of messages) {
      if (m.type !== 'heartbeat') continue;
      const peer = this.peer(m.to);
      if (peer === undefined) continue;
      if (peer.probeSentMs === undefined || now - peer.probeSentMs > PROBE_FORGET_MS) peer.probeSentMs = now;
    }
  }

  /** Messages this member received (as they arrive). */
  received(messages: readonly Message[]): void {
    const now = this.nowMs();
    for (const m of messages) {
      if (this.heardAtMs.has(m.from) || this.heardAtMs.size < PEERS_MAX) this.heardAtMs.set(m.from, now);
      if (m.type !== 'heartbeatResponse') continue;
      const peer = this.peers.get(m.from);
      if (peer?.probeSentMs === undefined) continue;
      this.sample(m.from, peer, now - peer.probeSentMs, now);
      peer.probeSentMs = undefined;
    }
  }

  /** A round trip to `peer` timed elsewhere (the peer link's batch and ack). */
  measured(peerId: NodeId, rttMs: number): void {
    const peer = this.peer(peerId);
    if (peer === undefined || !(rttMs >= 0)) return;
    this.sample(peerId, peer, rttMs, this.nowMs());
  }

  /** A removed member is no longer timed. */
  forget(id: NodeId): void {
    this.peers.delete(id);
    this.heardAtMs.delete(id);
  }

  /** Milliseconds since anything arrived from `id` (Infinity: never). */
  silentForMs(id: NodeId): number {
    const at = this.heardAtMs.get(id);
    return at === undefined ? Number.POSITIVE_INFINITY : this.nowMs() - at;
  }

  view(): PeerRttView[] {
    const now = this.nowMs();
    const rows: PeerRttView[] = [];
    for (const [peerId, p] of this.peers) {
      if (p.samples === 0) continue;
      const windowMax = now - p.windowStartMs > MAX_WINDOW_MS ? 0 : p.windowMaxMs;
      rows.push({ peerId, rttMs: p.smoothedMs, rttMaxMs: Math.max(windowMax, p.previousWindowMaxMs), samples: p.samples });
    }
    return rows.sort((a, b) => a.peerId - b.peerId);
  }

  /** The largest RTT measured to any peer lately (0: none measured). */
  maxMs(): number {
    return Math.max(0, ...this.view().map((row) => row.rttMaxMs));
  }

  private peer(id: NodeId): PeerSamples | undefined {
    let peer = this.peers.get(id);
    if (peer === undefined) {
      if (this.peers.size >= PEERS_MAX) return undefined;
      peer = { probeSentMs: undefined, smoothedMs: 0, windowMaxMs: 0, windowStartMs: this.nowMs(), previousWindowMaxMs: 0, samples: 0 };
      this.peers.set(id, peer);
    }
    return peer;
  }

  private sample(id: NodeId, peer: PeerSamples, rttMs: number, now: number): void {
    peer.smoothedMs = peer.samples === 0 ? rttMs : peer.smoothedMs + SMOOTHING * (rttMs - peer.smoothedMs);
    peer.samples += 1;
    if (now - peer.windowStartMs > MAX_WINDOW_MS) {
      peer.previousWindowMaxMs = peer.windowMaxMs;
      peer.windowMaxMs = 0;
      peer.windowStartMs = now;
    }
    peer.windowMaxMs = Math.max(peer.windowMaxMs, rttMs);
    this.observe?.(id, rttMs);
  }
}
