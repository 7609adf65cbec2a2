/**
 * Clients of the real node: each keeps a session (as the SDK does) and runs one operation at a
 * time — puts, compare-and-sets (a Txn with a value or version compare), deletes, and reads
 * that are linearizable, serializable or of bounded staleness. An attempt that fails in a way
 * that may be retried goes again, with the same session and sequence (exactly once), to another
 * member, until the operation's deadline. The history of writes and linearizable reads goes to
 * @holdfast/checker; serializable and bounded reads are kept apart and checked by
 * `checkLocalReads` against the staleness they asked for.
 */
import type { HistoryOperation, KvInput, KvOutput } from '@holdfast/checker';
import type { NodeId, Prng } from '@holdfast/raft';
import type { KvOp, KvResult } from '@holdfast/server';

export type ReadMode = 'linearizable' | 'serializable' | 'bounded';

export interface ClientConfig {
  readonly clientCount: number;
  readonly keys: readonly string[];
  /** Chance per tick that an idle client starts an operation. */
  readonly startProbability: number;
  /** One attempt's deadline (sent to the node), in simulated ms. */
  readonly attemptTimeoutMs: number;
  /** The whole operation's deadline, retries included, in simulated ms. */
  readonly operationTimeoutMs: number;
  /** Operations in one run; past it clients stop (keeps the checker's work bounded). */
  readonly operationsMax: number;
}

export interface ClientOperation {
  readonly id: number;
  readonly clientId: number;
  readonly key: string;
  readonly input: KvInput;
  readonly readMode: ReadMode | undefined;
  readonly maxStalenessMs: number;
  /** Writes only: the session slot and sequence every attempt repeats. */
  readonly session: { readonly clientId: string; readonly sequence: number } | undefined;
  readonly invokedAt: number;
  readonly invokedAtMs: number;
  readonly deadlineMs: number;
  attempts: number;
  /** Bumped per attempt: answers of an earlier attempt are ignored. */
  attempt: number;
}

/** A serializable or bounded-staleness read, checked apart from the linearizability check. */
export interface LocalRead {
  readonly operation: ClientOperation;
  readonly nodeId: NodeId;
  readonly value: string | null;
  readonly modRevision: number;
  /** The store revision the member answered at (its state's revision). */
  readonly revision: number;
  readonly returnedAtMs: number;
}

/** A write the client saw acknowledged, with the revision it was given. */
export interface AckedWrite {
  readonly operation: ClientOperation;
  readonly revision: number;
  readonly returnedAtMs: number;
}

interface ClientState {
  readonly id: number;
  pending: ClientOperation | undefined;
  sequence: number;
  leaderHint: NodeId;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const keyBytes = (key: string): Buffer => Buffer.from(encoder.encode(`k/${key}`));
const valueBytes = (value: string): Buffer => Buffer.from(encoder.encode(value));
/** Answers are built with the protocol's loose write types (numbers may be Long or string). */
const asNumber = (value: unknown): number => Number(value ?? 0);
const asText = (value: string | Uint8Array | undefined): string => (typeof value === 'string' ? value : decoder.decode(value ?? new Uint8Array()));

export type AttemptOutcome =
  | { readonly kind: 'ok'; readonly result: KvResult }
  /** Definitely not applied (refused as invalid). */
  | { readonly kind: 'failed'; readonly reason: string }
  /** May or may not have applied: retry with the same session. */
  | { readonly kind: 'retry'; readonly reason: string; readonly leaderHint: NodeId };

export class Clients {
  private readonly clients: ClientState[] = [];
  private readonly pending = new Map<number, ClientOperation>();
  readonly history: HistoryOperation[] = [];
  readonly localReads: LocalRead[] = [];
  readonly ackedWrites: AckedWrite[] = [];
  /** Every write operation by its value, to check what local reads return. */
  readonly writesByValue = new Map<string, ClientOperation>();
  private readonly lastSeen = new Map<string, string | null>();
  private started = 0;
  retries = 0;

  constructor(
    private readonly config: ClientConfig,
    private readonly random: Prng,
  ) {
    for (let id = 1; id <= config.clientCount; id++) this.clients.push({ id, pending: undefined, sequence: 0, leaderHint: 0 });
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  operation(id: number): ClientOperation | undefined {
    return this.pending.get(id);
  }

  /** Idle clients that start an operation now. */
  startOperations(clock: { nextId: () => number; historyTime: () => number; nowMs: number }): ClientOperation[] {
    const out: ClientOperation[] = [];
    for (const client of this.clients) {
      if (client.pending !== undefined || this.started >= this.config.operationsMax) continue;
      if (!this.random.chance(this.config.startProbability)) continue;
      const id = clock.nextId();
      const key = this.random.pick(this.config.keys);
      const { input, readMode, maxStalenessMs } = this.chooseInput(key, id);
      const isWrite = input.kind !== 'get';
      if (isWrite) client.sequence += 1;
      const operation: ClientOperation = {
        id,
        clientId: client.id,
        key,
        input,
        readMode,
        maxStalenessMs,
        session: isWrite ? { clientId: `c${client.id}`, sequence: client.sequence } : undefined,
        invokedAt: clock.historyTime(),
        invokedAtMs: clock.nowMs,
        deadlineMs: clock.nowMs + this.config.operationTimeoutMs,
        attempts: 0,
        attempt: 0,
      };
      if (input.kind === 'put' || input.kind === 'cas') this.writesByValue.set(input.value, operation);
      client.pending = operation;
      this.pending.set(id, operation);
      this.started++;
      out.push(operation);
    }
    return out;
  }

  private chooseInput(key: string, id: number): { input: KvInput; readMode: ReadMode | undefined; maxStalenessMs: number } {
    const roll = this.random.next();
    const value = `v${id}`;
    if (roll < 0.25) return { input: { kind: 'get' }, readMode: 'linearizable', maxStalenessMs: 0 };
    if (roll < 0.3) return { input: { kind: 'get' }, readMode: 'serializable', maxStalenessMs: 0 };
    if (roll < 0.37) return { input: { kind: 'get' }, readMode: 'bounded', maxStalenessMs: this.random.pick([20, 100, 400]) };
    if (roll < 0.62) return { input: { kind: 'put', value }, readMode: undefined, maxStalenessMs: 0 };
    if (roll < 0.87) {
      const expected = this.random.chance(0.7) ? (this.lastSeen.get(key) ?? null) : `v${this.random.int(1, id)}`;
      return { input: { kind: 'cas', expected, value }, readMode: undefined, maxStalenessMs: 0 };
    }
    return { input: { kind: 'delete' }, readMode: undefined, maxStalenessMs: 0 };
  }

  /** The member the next attempt goes to: mostly the leader last heard of. */
  chooseNode(operation: ClientOperation, members: readonly NodeId[], avoid: NodeId): NodeId {
    const client = this.clients[operation.clientId - 1]!;
    // Reads go to any member half the time: followers serve them too, and that is where a read
    // answered without its read index would be stale.
    const toLeader = operation.input.kind === 'get' ? 0.5 : 0.85;
    if (client.leaderHint !== 0 && client.leaderHint !== avoid && members.includes(client.leaderHint) && this.random.chance(toLeader)) {
      return client.leaderHint;
    }
    const others = members.filter((id) => id !== avoid);
    return this.random.pick(others.length > 0 ? others : members);
  }

  /** The request an attempt sends, as the SDK builds it. */
  requestOf(operation: ClientOperation): KvOp {
    const key = keyBytes(operation.key);
    const session = operation.session ?? null;
    const input = operation.input;
    switch (input.kind) {
      case 'get': {
        const consistency = operation.readMode === 'serializable' ? 'SERIALIZABLE' : 'LINEARIZABLE';
        return { op: 'get', get: { key, consistency, maxStalenessMs: operation.readMode === 'bounded' ? operation.maxStalenessMs : 0, revision: 0 } };
      }
      case 'put':
        return { op: 'put', put: { key, value: valueBytes(input.value), ifAbsent: false, ifModRevision: 0, prevKv: false, session, lease: 0, ifFenceAtLeast: 0 } };
      case 'delete':
        return { op: 'delete', delete: { key, ifModRevision: 0, prevKv: false, session, end: Buffer.alloc(0), prefix: Buffer.alloc(0) } };
      case 'cas': {
        const compare =
          input.expected === null
            ? { key, target: 'VERSION' as const, op: 'EQUAL' as const, value: Buffer.alloc(0), number: 0 }
            : { key, target: 'VALUE' as const, op: 'EQUAL' as const, value: valueBytes(input.expected), number: 0 };
        const put = { key, value: valueBytes(input.value), ifAbsent: false, ifModRevision: 0, prevKv: false, session: null, lease: 0, ifFenceAtLeast: 0 };
        return { op: 'txn', txn: { compare: [compare], success: [{ put, op: 'put' }], failure: [], session } };
      }
    }
  }

  noteLeader(operation: ClientOperation, leaderHint: NodeId): void {
    const client = this.clients[operation.clientId - 1];
    if (client !== undefined && leaderHint !== 0) client.leaderHint = leaderHint;
  }

  /** An attempt answered ok: the operation is done. */
  complete(operation: ClientOperation, result: KvResult, at: { historyTime: number; nowMs: number; nodeId: NodeId }): void {
    if (!this.finish(operation)) return;
    const output = this.outputOf(operation, result);
    if (operation.readMode === 'serializable' || operation.readMode === 'bounded') {
      const kv = result.op === 'get' ? result.get.kv : null;
      this.localReads.push({
        operation,
        nodeId: at.nodeId,
        value: kv === null || kv === undefined ? null : asText(kv.value),
        modRevision: asNumber(kv?.modRevision),
        revision: result.op === 'get' ? asNumber(result.get.header?.revision) : 0,
        returnedAtMs: at.nowMs,
      });
      return;
    }
    this.noteValue(operation, output);
    const revision = revisionOf(result);
    if (revision !== undefined) this.ackedWrites.push({ operation, revision, returnedAtMs: at.nowMs });
    this.record(operation, 'ok', output, at.historyTime);
  }

  /** Definitely not applied. */
  fail(operation: ClientOperation, historyTime: number): void {
    if (!this.finish(operation)) return;
    if (operation.readMode === 'serializable' || operation.readMode === 'bounded') return;
    this.record(operation, 'failed', undefined, historyTime);
  }

  /** Out of time: the operation may or may not have taken effect. */
  abandon(operation: ClientOperation, historyTime: number): void {
    if (!this.finish(operation)) return;
    if (operation.readMode === 'serializable' || operation.readMode === 'bounded') return;
    this.record(operation, 'unknown', undefined, historyTime);
  }

  abandonAll(historyTime: number): void {
    for (const operation of [...this.pending.values()]) this.abandon(operation, historyTime);
  }

  private finish(operation: ClientOperation): boolean {
    if (!this.pending.delete(operation.id)) return false;
    const client = this.clients[operation.clientId - 1];
    if (client !== undefined) client.pending = undefined;
    return true;
  }

  private outputOf(operation: ClientOperation, result: KvResult): KvOutput {
    switch (result.op) {
      case 'get':
        return { kind: 'get', value: result.get.kv === null || result.get.kv === undefined ? null : asText(result.get.kv.value) };
      case 'put':
        return { kind: 'put' };
      case 'delete':
        return { kind: 'delete' };
      case 'txn':
        return { kind: 'cas', swapped: result.txn.succeeded === true };
      default:
        throw new Error(`a ${result.op} answered op ${operation.id}`);
    }
  }

  private noteValue(operation: ClientOperation, output: KvOutput): void {
    const input = operation.input;
    if (output.kind === 'get') this.lastSeen.set(operation.key, output.value);
    else if (input.kind === 'put') this.lastSeen.set(operation.key, input.value);
    else if (input.kind === 'delete') this.lastSeen.set(operation.key, null);
    else if (input.kind === 'cas' && output.kind === 'cas' && output.swapped) this.lastSeen.set(operation.key, input.value);
  }

  private record(operation: ClientOperation, outcome: 'ok' | 'failed' | 'unknown', output: KvOutput | undefined, returnedAt: number): void {
    const entry: HistoryOperation = {
      id: operation.id,
      clientId: operation.clientId,
      key: operation.key,
      input: operation.input,
      outcome,
      invokedAt: operation.invokedAt,
      returnedAt,
    };
    if (output !== undefined) entry.output = output;
    this.history.push(entry);
  }
}

function revisionOf(result: KvResult): number | undefined {
  switch (result.op) {
    case 'put':
      return asNumber(result.put.revision);
    case 'delete':
      return asNumber(result.delete.revision);
    case 'txn':
      return result.txn.succeeded === true ? asNumber(result.txn.revision) : undefined;
    default:
      return undefined;
  }
}

/**
 * Serializable and bounded-staleness reads: a value found must be one some put or compare-and-set
 * wrote to that key (with the revision its writer was told, when it was told one), and a bounded
 * read must reflect every write acknowledged more than its staleness before it began (the store
 * revision it answered at is at least theirs). Returns the first problem, or undefined.
 */
export function checkLocalReads(clients: Clients): string | undefined {
  const ackRevisionByOperation = new Map<number, number>();
  for (const ack of clients.ackedWrites) ackRevisionByOperation.set(ack.operation.id, ack.revision);
  const acks = [...clients.ackedWrites].sort((a, b) => a.returnedAtMs - b.returnedAtMs);
  for (const read of clients.localReads) {
    const op = read.operation;
    if (read.value !== null) {
      const writer = clients.writesByValue.get(read.value);
      if (writer === undefined || writer.key !== op.key) {
        return `${op.readMode} read ${op.id} of ${op.key} at n${read.nodeId} returned ${JSON.stringify(read.value)}, which no write of that key wrote`;
      }
      const revision = ackRevisionByOperation.get(writer.id);
      if (revision !== undefined && revision !== read.modRevision) {
        return `${op.readMode} read ${op.id} of ${op.key} at n${read.nodeId} returned ${read.value} at mod revision ${read.modRevision}; its write was acknowledged at revision ${revision}`;
      }
    }
    if (op.readMode !== 'bounded') continue;
    const horizonMs = op.invokedAtMs - op.maxStalenessMs;
    for (const ack of acks) {
      if (ack.returnedAtMs >= horizonMs) break;
      if (ack.revision > read.revision) {
        return (
          `bounded read ${op.id} (max staleness ${op.maxStalenessMs} ms, begun at ${op.invokedAtMs} ms) at n${read.nodeId} answered at revision ${read.revision}, ` +
          `but write ${ack.operation.id} was acknowledged at revision ${ack.revision} at ${ack.returnedAtMs} ms`
        );
      }
    }
  }
  return undefined;
}
