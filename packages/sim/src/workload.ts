import type { HistoryOperation, KvInput, KvOutput } from '@holdfast/checker';
import type { NodeId, Prng } from '@holdfast/raft';
import type { NodeAnswer } from './node.js';

export interface WorkloadConfig {
  readonly clientCount: number;
  readonly keys: readonly string[];
  /** Chance per tick that an idle client starts an operation. */
  readonly startProbability: number;
  /** A client gives up (outcome unknown) after this many ticks. */
  readonly timeoutTicks: number;
  /** Operations in one run's history; past it clients stop (keeps the checker's work bounded). */
  readonly operationsMax: number;
}

/** One client operation on its way; `requestId` is the op id in the log or the ReadIndex context. */
export interface PendingOperation {
  readonly requestId: number;
  readonly clientId: number;
  readonly key: string;
  readonly input: KvInput;
  readonly invokedAt: number;
  readonly nodeId: NodeId;
}

interface ClientState {
  readonly id: number;
  pending: PendingOperation | undefined;
  leaderHint: NodeId;
  /** The node that last failed this client; tried again only if there is no other. */
  lastFailedNode: NodeId;
}

/**
 * Clients that put, compare-and-set, delete and read a few keys, one operation at a time each,
 * and the history they leave for the linearizability checker. A client never retries an
 * operation: after a failure or a timeout it starts a new one, maybe on another node.
 */
export class Workload {
  private readonly clients: ClientState[] = [];
  private readonly pendingByRequest = new Map<number, PendingOperation>();
  readonly history: HistoryOperation[] = [];
  /** Values last seen per key, so that compare-and-set sometimes expects the right one. */
  private readonly lastSeen = new Map<string, string | null>();
  private started = 0;

  constructor(
    private readonly config: WorkloadConfig,
    private readonly random: Prng,
  ) {
    for (let id = 1; id <= config.clientCount; id++) this.clients.push({ id, pending: undefined, leaderHint: 0, lastFailedNode: 0 });
  }

  get pendingCount(): number {
    return this.pendingByRequest.size;
  }

  /** Idle clients that decide to start an operation now, numbered and timed by `ids`. */
  startOperations(members: readonly NodeId[], ids: { nextRequestId: () => number; invokeTime: () => number }): PendingOperation[] {
    const out: PendingOperation[] = [];
    if (members.length === 0) return out;
    for (const client of this.clients) {
      if (client.pending !== undefined || this.started >= this.config.operationsMax) continue;
      if (!this.random.chance(this.config.startProbability)) continue;
      const key = this.random.pick(this.config.keys);
      const requestId = ids.nextRequestId();
      const nodeId = this.chooseNode(client, members);
      const operation: PendingOperation = {
        requestId,
        clientId: client.id,
        key,
        input: this.chooseInput(key, requestId),
        invokedAt: ids.invokeTime(),
        nodeId,
      };
      client.pending = operation;
      this.pendingByRequest.set(requestId, operation);
      this.started++;
      out.push(operation);
    }
    return out;
  }

  /** Mostly the leader the client was told about; otherwise any member but the one that just failed. */
  private chooseNode(client: ClientState, members: readonly NodeId[]): NodeId {
    if (client.leaderHint !== 0 && members.includes(client.leaderHint) && this.random.chance(0.9)) {
      return client.leaderHint;
    }
    const others = members.filter((id) => id !== client.lastFailedNode);
    return this.random.pick(others.length > 0 ? others : members);
  }

  private chooseInput(key: string, requestId: number): KvInput {
    const roll = this.random.next();
    const value = `v${requestId}`;
    if (roll < 0.35) return { kind: 'get' };
    if (roll < 0.65) return { kind: 'put', value };
    if (roll < 0.9) {
      const expected = this.random.chance(0.7) ? (this.lastSeen.get(key) ?? null) : `v${this.random.int(1, requestId)}`;
      return { kind: 'cas', expected, value };
    }
    return { kind: 'delete' };
  }

  isPending(requestId: number): boolean {
    return this.pendingByRequest.has(requestId);
  }

  pendingOperation(requestId: number): PendingOperation | undefined {
    return this.pendingByRequest.get(requestId);
  }

  /** The node's answer reached the client at `now`. */
  complete(requestId: number, answer: NodeAnswer, now: number, leaderHint: NodeId): void {
    const operation = this.pendingByRequest.get(requestId);
    if (operation === undefined) return; // timed out already
    this.pendingByRequest.delete(requestId);
    const client = this.clients[operation.clientId - 1];
    if (client !== undefined) {
      client.pending = undefined;
      client.leaderHint = leaderHint;
      client.lastFailedNode = answer.outcome === 'ok' ? 0 : operation.nodeId;
    }
    if (answer.outcome !== 'ok') {
      this.record(operation, answer.outcome, undefined, now);
      return;
    }
    const output = outputFor(operation.input, answer);
    this.noteValue(operation, output);
    this.record(operation, 'ok', output, now);
  }

  /** No answer in time, or the node crashed: the operation may or may not have happened. */
  abandon(requestId: number, now: number): void {
    const operation = this.pendingByRequest.get(requestId);
    if (operation === undefined) return;
    this.pendingByRequest.delete(requestId);
    const client = this.clients[operation.clientId - 1];
    if (client !== undefined) {
      client.pending = undefined;
      client.leaderHint = 0;
      client.lastFailedNode = operation.nodeId;
    }
    this.record(operation, 'unknown', undefined, now);
  }

  abandonAll(now: number): void {
    for (const requestId of [...this.pendingByRequest.keys()]) this.abandon(requestId, now);
  }

  private noteValue(operation: PendingOperation, output: KvOutput): void {
    const input = operation.input;
    if (output.kind === 'get') this.lastSeen.set(operation.key, output.value);
    else if (input.kind === 'put') this.lastSeen.set(operation.key, input.value);
    else if (input.kind === 'delete') this.lastSeen.set(operation.key, null);
    else if (input.kind === 'cas' && output.kind === 'cas' && output.swapped) this.lastSeen.set(operation.key, input.value);
  }

  private record(operation: PendingOperation, outcome: 'ok' | 'failed' | 'unknown', output: KvOutput | undefined, now: number): void {
    const entry: HistoryOperation = {
      id: operation.requestId,
      clientId: operation.clientId,
      key: operation.key,
      input: operation.input,
      outcome,
      invokedAt: operation.invokedAt,
      returnedAt: now,
    };
    if (output !== undefined) entry.output = output;
    this.history.push(entry);
  }
}

function outputFor(input: KvInput, answer: NodeAnswer): KvOutput {
  if ('readValue' in answer) return { kind: 'get', value: answer.readValue };
  if (answer.outcome !== 'ok') throw new Error('outputFor needs an ok answer');
  const result = answer.result;
  switch (result.kind) {
    case 'put':
      return { kind: 'put' };
    case 'delete':
      return { kind: 'delete' };
    case 'cas':
      return { kind: 'cas', swapped: result.swapped };
    case 'probe':
      throw new Error(`a probe answered a client ${input.kind}`);
  }
}
