/**
 * A tiny deterministic network of RaftNodes over MemoryLogStorage for the tests: messages are
 * delivered in order from one queue, links can be cut one way or both, nodes can crash (losing
 * nothing that was persisted) and restart. Time is ticks; randomness is a seeded generator.
 */
import {
  type Entry,
  MemoryLogStorage,
  type Message,
  newMessage,
  type NodeId,
  Prng,
  type RaftConfig,
  RaftNode,
  type ReadState,
  type Ready,
  validateMessage,
} from '../src/index.js';

/** The package's own seeded generator, as the `RandomSource` the core takes. */
export function seededRandom(seed: number): () => number {
  const prng = new Prng(seed);
  return () => prng.next();
}

export type ConfigOverrides = Partial<Omit<RaftConfig, 'id' | 'storage' | 'random'>>;

export const BASE_CONFIG = {
  electionTicks: 10,
  heartbeatTicks: 1,
  messageBytesMax: 1024 * 1024,
  inflightMessagesMax: 256,
  inflightBytesMax: 16 * 1024 * 1024,
  uncommittedBytesMax: 64 * 1024 * 1024,
} as const;

export interface Peer {
  readonly id: NodeId;
  node: RaftNode;
  readonly storage: MemoryLogStorage;
  /** Every entry handed to the state machine, in order. */
  readonly applied: Entry[];
  readonly readStates: ReadState[];
  readonly droppedReads: number[];
  /**
   * A slow disk: the Ready is taken and the leader's early messages leave, but the write (and
   * everything that waits for it) is held until the disk is released.
   */
  frozen: boolean;
  /** The Ready being written, if the disk is slow. */
  pending: Ready | undefined;
  up: boolean;
}

export function data(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

export function text(entry: Entry): string {
  return entry.type === 'normal' ? new TextDecoder().decode(entry.data) : `conf:${entry.change.type}:${entry.change.nodeId}`;
}

export class Network {
  readonly peers = new Map<NodeId, Peer>();
  /** Messages in flight, oldest first. */
  queue: Message[] = [];
  /** Directed links that drop everything: "from->to". */
  private readonly cut = new Set<string>();
  /** Every message delivered, for tests that inspect traffic (when recordTraffic is set). */
  readonly delivered: Message[] = [];
  recordTraffic = true;
  /** Messages delivered, by type. */
  readonly deliveredCounts = new Map<string, number>();
  private readonly random: () => number;
  /** Whether the driver reports snapshot outcomes (reportSnapshot), as a real transport does. */
  reportSnapshots = true;
  /** Extra filter: return false to drop a message. */
  filter: (message: Message) => boolean = () => true;

  constructor(
    voters: readonly NodeId[],
    private readonly options: { seed?: number; config?: ConfigOverrides } = {},
  ) {
    this.random = seededRandom(options.seed ?? 1);
    for (const id of voters) this.addPeer(id, MemoryLogStorage.bootstrap(voters));
  }

  /** Each peer's messageBytesMax, the limit its transport would check appends against. */
  private readonly messageBytesMax = new Map<NodeId, number>();

  addPeer(id: NodeId, storage: MemoryLogStorage = new MemoryLogStorage(), config: ConfigOverrides = {}): Peer {
    this.messageBytesMax.set(id, config.messageBytesMax ?? this.options.config?.messageBytesMax ?? BASE_CONFIG.messageBytesMax);
    const peer: Peer = {
      id,
      node: this.createNode(id, storage, config),
      storage,
      applied: [],
      readStates: [],
      droppedReads: [],
      frozen: false,
      pending: undefined,
      up: true,
    };
    this.peers.set(id, peer);
    return peer;
  }

  private createNode(id: NodeId, storage: MemoryLogStorage, config: ConfigOverrides, applied?: number): RaftNode {
    return new RaftNode({
      ...BASE_CONFIG,
      ...this.options.config,
      ...config,
      id,
      storage,
      random: this.random,
      ...(applied === undefined ? {} : { applied }),
    });
  }

  peer(id: NodeId): Peer {
    const peer = this.peers.get(id);
    if (peer === undefined) throw new Error(`no peer ${id}`);
    return peer;
  }

  node(id: NodeId): RaftNode {
    return this.peer(id).node;
  }

  /** Handles every Ready of one peer as a driver would. */
  handleReady(peer: Peer): void {
    if (!peer.up) return;
    if (peer.pending !== undefined) {
      if (peer.frozen) return;
      this.completeReady(peer, peer.pending);
    }
    while (peer.node.hasReady()) {
      const ready = peer.node.ready();
      // Ready rule 2: these may leave before the write finishes.
      this.queue.push(...ready.messages);
      peer.pending = ready;
      if (peer.frozen) return;
      this.completeReady(peer, ready);
    }
  }

  private completeReady(peer: Peer, ready: Ready): void {
    this.persist(peer, ready);
    this.queue.push(...ready.messagesAfterPersist);
    peer.applied.push(...ready.committedEntries);
    peer.readStates.push(...ready.readStates);
    peer.droppedReads.push(...ready.droppedReads);
    peer.pending = undefined;
    peer.node.advance(ready);
  }

  persist(peer: Peer, ready: Ready): void {
    if (ready.snapshot !== undefined) {
      peer.storage.applySnapshot(ready.snapshot);
      peer.applied.length = 0;
      peer.applied.push(...decodeSnapshot(ready.snapshot.data));
    }
    peer.storage.append(ready.entries);
    if (ready.hardState !== undefined) peer.storage.setHardState(ready.hardState);
  }

  /** Handles Readies and delivers messages until nothing moves (bounded). */
  stabilize(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round += 1) {
      for (const peer of this.peers.values()) this.handleReady(peer);
      if (this.queue.length === 0) return;
      const batch = this.queue;
      this.queue = [];
      for (const message of batch) this.deliver(message);
    }
    throw new Error('network did not stabilize');
  }

  deliver(message: Message): void {
    const target = this.peers.get(message.to);
    const lost =
      target === undefined || !target.up || this.cut.has(`${message.from}->${message.to}`) || !this.filter(message);
    // A driver reports how a snapshot transfer ended, as the server's transport does.
    const reportSnapshot = (status: 'finished' | 'failed'): void => {
      const sender = this.peers.get(message.from);
      if (message.type === 'snapshot' && sender?.up === true && this.reportSnapshots) {
        sender.node.reportSnapshot(message.to, status);
      }
    };
    if (lost) {
      reportSnapshot('failed');
      return;
    }
    // Every message a core sends must pass the door every core checks (validateMessage), with the
    // receiver's own limits: a refusal here is a false alarm a real transport would drop.
    const entriesBytesMax = this.messageBytesMax.get(target.id) ?? BASE_CONFIG.messageBytesMax;
    const problem = validateMessage(message, { entriesBytesMax, snapshotDataBytesMax: Number.POSITIVE_INFINITY });
    if (problem !== undefined) throw new Error(`a core sent a message validateMessage refuses: ${problem.message}`);
    if (this.recordTraffic) this.delivered.push(message);
    this.deliveredCounts.set(message.type, (this.deliveredCounts.get(message.type) ?? 0) + 1);
    target.node.step(message);
    reportSnapshot('finished');
  }

  tick(ids: readonly NodeId[] = [...this.peers.keys()]): void {
    for (const id of ids) {
      const peer = this.peer(id);
      if (peer.up) peer.node.tick();
    }
    this.stabilize();
  }

  /** Ticks every live node until `done` holds; fails after maxTicks. */
  tickUntil(done: () => boolean, maxTicks = 500): void {
    for (let tick = 0; tick < maxTicks; tick += 1) {
      if (done()) return;
      this.tick();
    }
    if (!done()) throw new Error(`condition not reached in ${maxTicks} ticks\n${this.describe()}`);
  }

  /** One line per peer, for failure messages. */
  describe(): string {
    return [...this.peers.values()]
      .map((peer) => {
        const { progress, ...status } = peer.node.status();
        const followers = progress.map((p) => `${p.id}:${p.state}:${p.match}/${p.next}`).join(' ');
        return `${peer.id} up=${peer.up} frozen=${peer.frozen} first=${peer.storage.firstIndex()} ${JSON.stringify(status)} ${followers}`;
      })
      .join('\n');
  }

  elect(id: NodeId): void {
    this.node(id).campaign();
    this.stabilize();
    if (this.node(id).status().role !== 'leader') throw new Error(`${id} did not win: ${JSON.stringify(this.node(id).status())}`);
  }

  leader(): NodeId | undefined {
    for (const peer of this.peers.values()) if (peer.up && peer.node.status().role === 'leader') return peer.id;
    return undefined;
  }

  isolate(id: NodeId): void {
    for (const other of this.peers.keys()) {
      if (other === id) continue;
      this.cut.add(`${id}->${other}`);
      this.cut.add(`${other}->${id}`);
    }
  }

  cutLink(from: NodeId, to: NodeId): void {
    this.cut.add(`${from}->${to}`);
  }

  heal(): void {
    this.cut.clear();
    this.filter = () => true;
  }

  /** Crash: the process dies; only what the storage holds survives. */
  crash(id: NodeId): void {
    this.peer(id).up = false;
    this.peer(id).pending = undefined;
    this.queue = this.queue.filter((message) => message.to !== id && message.from !== id);
  }

  /** Restart over the persisted storage; the state machine is rebuilt from the log by replay. */
  restart(id: NodeId, config: ConfigOverrides = {}): void {
    const peer = this.peer(id);
    const snapshot = peer.storage.snapshot();
    const snapshotIndex = snapshot.meta.index;
    peer.applied.length = 0;
    peer.applied.push(...decodeSnapshot(snapshot.data));
    peer.node = this.createNode(id, peer.storage, config, snapshotIndex);
    peer.up = true;
    peer.frozen = false;
  }

  /** Proposes on the leader and lets the cluster settle. */
  propose(leader: NodeId, ...texts: string[]): { firstIndex: number; lastIndex: number } {
    const result = this.node(leader).propose(texts.map(data));
    this.stabilize();
    return result;
  }

  /** Takes a snapshot at the peer's applied index and compacts its log up to it. */
  snapshotAndCompact(id: NodeId, compactIndex?: number): void {
    const peer = this.peer(id);
    const applied = peer.node.status().applied;
    peer.storage.createSnapshot(applied, peer.node.confStateAt(applied), encodeSnapshot(peer.applied));
    peer.storage.compact(compactIndex ?? applied);
  }
}

/** The test state machine's snapshot: the applied entries themselves, JSON-encoded. */
function encodeSnapshot(entries: readonly Entry[]): Uint8Array {
  return data(JSON.stringify(entries.map((entry) => ({ index: entry.index, term: entry.term, text: text(entry) }))));
}

function decodeSnapshot(bytes: Uint8Array): Entry[] {
  if (bytes.byteLength === 0) return [];
  const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { index: number; term: number; text: string }[];
  return parsed.map((entry) => ({ type: 'normal', index: entry.index, term: entry.term, data: data(entry.text) }));
}

/** The texts of a peer's applied normal entries, skipping the leaders' empty entries. */
export function appliedTexts(peer: Peer): string[] {
  return peer.applied
    .filter((entry) => entry.type === 'normal' && entry.data.byteLength > 0)
    .map(text)
    .filter((value) => !value.startsWith('conf:'));
}

/** A message with every unused field at its zero value. */
export function message(fields: Partial<Message> & Pick<Message, 'type' | 'from' | 'to' | 'term'>): Message {
  return newMessage(fields);
}

/** Takes one Ready from a lone node (outside any network), persists it, and advances. */
export function drain(peer: Peer): Ready[] {
  const readies: Ready[] = [];
  while (peer.node.hasReady()) {
    const ready = peer.node.ready();
    if (ready.snapshot !== undefined) peer.storage.applySnapshot(ready.snapshot);
    peer.storage.append(ready.entries);
    if (ready.hardState !== undefined) peer.storage.setHardState(ready.hardState);
    peer.applied.push(...ready.committedEntries);
    peer.readStates.push(...ready.readStates);
    peer.droppedReads.push(...ready.droppedReads);
    peer.node.advance(ready);
    readies.push(ready);
  }
  return readies;
}

/** All messages of the given Readies. */
export function sent(readies: readonly Ready[]): Message[] {
  return readies.flatMap((ready) => [...ready.messages, ...ready.messagesAfterPersist]);
}
