import type { KvInput, KvOutput } from '@holdfast/checker';
import type { Prng } from '@holdfast/raft';
import type { BenchHistory, BenchOperation } from './history.js';
import type { ClusterTarget, KvAdapter } from './target.js';
import { ZipfianGenerator } from './zipfian.js';

export type WorkloadKind = 'register' | 'mixed';
export type KeyDistribution = 'uniform' | 'zipfian';

export interface WorkloadOptions {
  kind: WorkloadKind;
  concurrency: number;
  /** Total target rate in operations per second; undefined = closed loop (each worker back to back). */
  ratePerSecond: number | undefined;
  /** Per-operation deadline; a write that runs out of it has an unknown outcome. */
  operationDeadlineMs: number;
  /** register: keys shared by all workers in one generation. */
  registerKeyCount: number;
  /** register: operations on a key before the key is retired for a fresh one (keeps checking tractable). */
  operationsPerKeyGeneration: number;
  /** mixed: size of the key space. */
  mixedKeyCount: number;
  keyDistribution: KeyDistribution;
  /** mixed: bytes of each written value (unique prefix, padded). */
  valueBytes: number;
  /** mixed: fraction of reads. */
  readFraction: number;
  /**
   * Fraction of reads sent as serializable reads (any member answers, the nearest first; timed,
   * not checked). 0: every read is linearizable. Ignored by a target whose client has none.
   */
  serializableReadFraction: number;
  /**
   * Fraction of reads sent with a staleness bound (maxStalenessMs: any member answers if its state
   * is at most that far behind, the nearest first); checked against the bound, not for
   * linearizability. Drawn after the serializable ones: the two fractions add up to at most 1.
   */
  boundedReadFraction: number;
  /** The bound of those reads (ms). */
  maxStalenessMs: number;
  /** The region of each worker's client, round-robin (--regions); absent or empty: no regions. */
  clientRegions?: readonly string[];
}

export const DEFAULT_WORKLOAD: WorkloadOptions = {
  kind: 'register',
  concurrency: 8,
  ratePerSecond: undefined,
  operationDeadlineMs: 2000,
  registerKeyCount: 8,
  operationsPerKeyGeneration: 300,
  mixedKeyCount: 1000,
  keyDistribution: 'uniform',
  valueBytes: 64,
  readFraction: 0.5,
  serializableReadFraction: 0,
  boundedReadFraction: 0,
  maxStalenessMs: 5000,
};

/** How a read is sent: linearizable (checked), serializable (timed only) or bounded (checked against its bound). */
type ReadKind = 'linearizable' | 'serializable' | 'bounded';

export interface WorkloadCounters {
  ok: number;
  failed: number;
  unknown: number;
}

/**
 * Runs `concurrency` workers against the target, each with its own client, recording every
 * operation. Values written are unique (worker id + sequence), so the checker can tell writes apart.
 */
export class Workload {
  private readonly options: WorkloadOptions;
  private readonly history: BenchHistory;
  private readonly target: ClusterTarget;
  private readonly prng: Prng;
  private readonly clients: KvAdapter[] = [];
  private readonly workers: Promise<void>[] = [];
  private readonly generationOfSlot: number[];
  private readonly operationsOnSlot: number[];
  private readonly zipf: ZipfianGenerator | undefined;
  private stopping = false;
  /** Checker client ids: a worker takes a fresh one after an unknown outcome (its old self is "crashed"). */
  private nextClientId = 0;
  readonly counters: WorkloadCounters = { ok: 0, failed: 0, unknown: 0 };

  constructor(options: { workload: WorkloadOptions; history: BenchHistory; target: ClusterTarget; prng: Prng }) {
    this.options = options.workload;
    this.history = options.history;
    this.target = options.target;
    this.prng = options.prng;
    validateWorkload(this.options);
    this.generationOfSlot = new Array<number>(this.options.registerKeyCount).fill(0);
    this.operationsOnSlot = new Array<number>(this.options.registerKeyCount).fill(0);
    this.zipf =
      this.options.keyDistribution === 'zipfian'
        ? new ZipfianGenerator({ itemCount: this.options.mixedKeyCount, exponent: 0.99 })
        : undefined;
  }

  start(): void {
    for (let worker = 0; worker < this.options.concurrency; worker += 1) {
      const region = this.regionOfWorker(worker);
      const client = this.target.createKv({
        clientIndex: worker,
        deadlineMs: this.options.operationDeadlineMs,
        ...(region === undefined ? {} : { region }),
      });
      this.clients.push(client);
      this.workers.push(this.runWorker({ worker, client, prng: this.prng.fork(), region }));
    }
  }

  /** Worker `worker`'s client region: round-robin over the regions given, so every region has clients. */
  private regionOfWorker(worker: number): string | undefined {
    const regions = this.options.clientRegions;
    if (regions === undefined || regions.length === 0) return undefined;
    return regions[worker % regions.length];
  }

  /** Resolves when every worker has ended (stopped, or the history is full). */
  async finished(): Promise<void> {
    await Promise.all(this.workers);
  }

  /** Stop issuing operations and wait for the ones in flight. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers);
    for (const client of this.clients) client.close();
  }

  private async runWorker(options: { worker: number; client: KvAdapter; prng: Prng; region: string | undefined }): Promise<void> {
    const { worker, client, prng, region } = options;
    let clientId = this.takeClientId();
    let sequence = 0;
    const lastSeen = new Map<string, string | null>();
    const intervalMs =
      this.options.ratePerSecond === undefined ? 0 : (1000 * this.options.concurrency) / this.options.ratePerSecond;
    let nextAtMs = this.history.clock.nowMs() + prng.float(0, intervalMs);
    while (!this.stopping && !this.history.isFull()) {
      if (intervalMs > 0) {
        const waitMs = nextAtMs - this.history.clock.nowMs();
        if (waitMs > 0) await sleep(waitMs);
        nextAtMs = Math.max(nextAtMs + intervalMs, this.history.clock.nowMs() - intervalMs);
        if (this.stopping) break;
      }
      sequence += 1;
      const { key, input } = this.nextOperation({ worker, sequence, prng, lastSeen });
      const readKind = input.kind === 'get' ? this.drawReadKind({ client, prng }) : 'linearizable';
      const outcome = await this.execute({ client, clientId, key, input, region, readKind });
      if (outcome.outcome === 'unknown') clientId = this.takeClientId();
      rememberValue({ lastSeen, key, input, operation: outcome });
      // A worker that keeps failing fast (no node reachable) must not spin the CPU.
      if (outcome.outcome !== 'ok' && outcome.completedAt - outcome.invokedAt < 20) await sleep(20);
    }
  }

  /** How this read goes (no draw at all when only linearizable reads are asked for: seeded runs keep their sequence). */
  private drawReadKind(options: { client: KvAdapter; prng: Prng }): ReadKind {
    const serializable = options.client.getSerializable === undefined ? 0 : this.options.serializableReadFraction;
    const bounded = options.client.getBounded === undefined ? 0 : this.options.boundedReadFraction;
    if (serializable <= 0 && bounded <= 0) return 'linearizable';
    const roll = options.prng.next();
    if (roll < serializable) return 'serializable';
    return roll < serializable + bounded ? 'bounded' : 'linearizable';
  }

  private takeClientId(): number {
    this.nextClientId += 1;
    return this.nextClientId;
  }

  private nextOperation(options: {
    worker: number;
    sequence: number;
    prng: Prng;
    lastSeen: Map<string, string | null>;
  }): { key: string; input: KvInput } {
    const { worker, sequence, prng, lastSeen } = options;
    const value = `w${worker}-${sequence}`;
    if (this.options.kind === 'register') {
      const slot = prng.int(0, this.options.registerKeyCount - 1);
      const key = this.registerKey(slot);
      const roll = prng.next();
      if (roll < 0.5) return { key, input: { kind: 'get' } };
      if (roll < 0.75) return { key, input: { kind: 'put', value } };
      return { key, input: { kind: 'cas', expected: lastSeen.get(key) ?? null, value } };
    }
    const index = this.zipf === undefined ? prng.int(0, this.options.mixedKeyCount - 1) : this.zipf.next(prng);
    const key = `m/${String(index).padStart(6, '0')}`;
    if (prng.next() < this.options.readFraction) return { key, input: { kind: 'get' } };
    return { key, input: { kind: 'put', value: padValue(value, this.options.valueBytes) } };
  }

  private registerKey(slot: number): string {
    const count = (this.operationsOnSlot[slot] ?? 0) + 1;
    this.operationsOnSlot[slot] = count;
    if (count > this.options.operationsPerKeyGeneration) {
      this.operationsOnSlot[slot] = 1;
      this.generationOfSlot[slot] = (this.generationOfSlot[slot] ?? 0) + 1;
    }
    return `r/${slot}/${this.generationOfSlot[slot] ?? 0}`;
  }

  private async execute(options: {
    client: KvAdapter;
    clientId: number;
    key: string;
    input: KvInput;
    region: string | undefined;
    readKind: ReadKind;
  }): Promise<BenchOperation> {
    const { client, clientId, key, input, region, readKind } = options;
    const maxStalenessMs = this.options.maxStalenessMs;
    const operation = this.history.invoke({
      clientId,
      key,
      input,
      ...(region === undefined ? {} : { clientRegion: region }),
      ...(readKind === 'linearizable' ? {} : { consistency: readKind }),
      ...(readKind === 'bounded' ? { maxStalenessMs } : {}),
    });
    try {
      const output =
        readKind === 'serializable'
          ? await runSerializableGet({ client, key })
          : readKind === 'bounded'
            ? await runBoundedGet({ client, key, maxStalenessMs })
            : await runInput({ client, key, input });
      this.history.complete(operation, { outcome: 'ok', output });
      this.counters.ok += 1;
    } catch (error) {
      const certainty = this.target.classifyError(error, { write: input.kind !== 'get' });
      this.history.complete(operation, { outcome: certainty, error: errorName(error) });
      this.counters[certainty] += 1;
    }
    const attempts = client.takeAttempts?.() ?? [];
    if (attempts.length > 0) operation.attempts = attempts.join('; ');
    return operation;
  }
}

export async function runInput(options: { client: KvAdapter; key: string; input: KvInput }): Promise<KvOutput> {
  const { client, key, input } = options;
  switch (input.kind) {
    case 'get':
      return { kind: 'get', value: (await client.get(key)).value };
    case 'put':
      await client.put(key, input.value);
      return { kind: 'put' };
    case 'cas':
      return { kind: 'cas', swapped: await client.cas(key, input.expected, input.value) };
    case 'delete':
      await client.delete(key);
      return { kind: 'delete' };
  }
}

async function runBoundedGet(options: { client: KvAdapter; key: string; maxStalenessMs: number }): Promise<KvOutput> {
  const { client, key, maxStalenessMs } = options;
  if (client.getBounded === undefined) throw new Error('bounded-staleness read asked of a client that has none');
  return { kind: 'get', value: (await client.getBounded(key, maxStalenessMs)).value };
}

async function runSerializableGet(options: { client: KvAdapter; key: string }): Promise<KvOutput> {
  const { client, key } = options;
  if (client.getSerializable === undefined) throw new Error('serializable read asked of a client that has none');
  return { kind: 'get', value: (await client.getSerializable(key)).value };
}

function rememberValue(options: {
  lastSeen: Map<string, string | null>;
  key: string;
  input: KvInput;
  operation: BenchOperation;
}): void {
  const { lastSeen, key, input, operation } = options;
  // A serializable or bounded read may be stale: it says nothing about the value a compare should expect.
  if (operation.outcome !== 'ok' || operation.output === undefined || operation.consistency !== undefined) return;
  const output = operation.output;
  if (output.kind === 'get') lastSeen.set(key, output.value);
  else if (input.kind === 'put') lastSeen.set(key, input.value);
  else if (input.kind === 'cas' && output.kind === 'cas' && output.swapped) lastSeen.set(key, input.value);
}

function padValue(prefix: string, bytes: number): string {
  if (prefix.length >= bytes) return prefix;
  return `${prefix}:${'x'.repeat(bytes - prefix.length - 1)}`;
}

export function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return code === undefined ? error.name : `${error.name}(${String(code)})`;
  }
  return String(error);
}

export function validateWorkload(options: WorkloadOptions): void {
  const checks: [boolean, string][] = [
    [Number.isInteger(options.concurrency) && options.concurrency >= 1 && options.concurrency <= 1024, 'concurrency must be 1..1024'],
    [options.ratePerSecond === undefined || options.ratePerSecond > 0, 'rate must be > 0'],
    [options.operationDeadlineMs >= 10, 'operation deadline must be >= 10 ms'],
    [options.registerKeyCount >= 1 && options.registerKeyCount <= 10_000, 'register keys must be 1..10000'],
    [options.mixedKeyCount >= 1 && options.mixedKeyCount <= 10_000_000, 'mixed keys must be 1..10000000'],
    [options.valueBytes >= 1 && options.valueBytes <= 1024 * 1024, 'value size must be 1 B..1 MiB'],
    [options.readFraction >= 0 && options.readFraction <= 1, 'read fraction must be in [0, 1]'],
    [options.serializableReadFraction >= 0 && options.serializableReadFraction <= 1, 'serializable read fraction must be in [0, 1]'],
    [options.boundedReadFraction >= 0 && options.serializableReadFraction + options.boundedReadFraction <= 1, 'bounded read fraction must be >= 0, and with the serializable one at most 1'],
    [Number.isInteger(options.maxStalenessMs) && options.maxStalenessMs >= 1 && options.maxStalenessMs < 2 ** 32, 'max staleness must be a whole number of ms, 1 ms..49 days'],
  ];
  for (const [ok, message] of checks) if (!ok) throw new RangeError(`workload: ${message}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
