import { Packr } from 'msgpackr';
import {
  InvalidCommandError,
  KeyTooLargeError,
  RequestTooLargeError,
  ValueTooLargeError,
} from './errors.js';
import { checkLeaseOperationShape, checkPutLeaseShape, isLeaseOperation, type LeaseOperation } from './lease-command.js';
import { type AuthChange, authChangeShapeProblem } from './auth-state.js';
import type { StorageLimits } from './limits.js';
import { checkPlacementShape, type SetPlacementOp } from './placement.js';

/**
 * The commands a normal log entry carries, mirroring kv.proto. Numbers are plain JavaScript
 * numbers: revisions and sequences stay below 2^53. Optional fields are omitted, not undefined.
 */

export interface PutOp {
  readonly type: 'put';
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** Only if the key does not exist. Not allowed inside a txn (use a compare). */
  readonly ifAbsent?: boolean;
  /** Only if the key's modRevision equals this; 0 or absent = no guard. Not allowed inside a txn. */
  readonly ifModRevision?: number;
  /** Return the key's previous value. */
  readonly prevKv?: boolean;
  /**
   * Attach the key to this lease (it is deleted when the lease ends); absent: the key belongs to
   * no lease (a put without a lease detaches it from the one it had).
   */
  readonly lease?: number;
}

export interface DeleteOp {
  readonly type: 'delete';
  readonly key: Uint8Array;
  /** Only if the key's modRevision equals this; 0 or absent = no guard. Not allowed inside a txn. */
  readonly ifModRevision?: number;
  readonly prevKv?: boolean;
}

/** A read inside a txn, answered from the state the txn sees at that point. */
export interface GetOp {
  readonly type: 'get';
  readonly key: Uint8Array;
}

export type TxnOp = PutOp | DeleteOp | GetOp;

export type CompareTarget = 'value' | 'version' | 'modRevision' | 'createRevision';
export type CompareOperator = 'equal' | 'notEqual' | 'less' | 'greater';

/** A missing key compares as an empty value with version and revisions 0 (as in kv.proto). */
export interface Compare {
  readonly key: Uint8Array;
  readonly target: CompareTarget;
  readonly operator: CompareOperator;
  /** For target 'value'. */
  readonly value?: Uint8Array;
  /** For 'version', 'modRevision', 'createRevision'. */
  readonly number?: number;
}

export interface TxnOperation {
  readonly type: 'txn';
  readonly compare: readonly Compare[];
  readonly success: readonly TxnOp[];
  readonly failure: readonly TxnOp[];
}

/**
 * Deletes every key in [start, end), or every key with `prefix` (apply version 4). Refused whole
 * (tooManyKeys, nothing deleted) when more than `keysMax` keys are in range: the leader stamps
 * its limit, so every replica decides alike.
 */
export interface DeleteRangeOp {
  readonly type: 'deleteRange';
  /** Keys from here; ignored with `prefix`. */
  readonly start?: Uint8Array;
  /** Exclusive end; the single byte 0x00 means every key from `start`. Absent: only `start`. */
  readonly end?: Uint8Array;
  readonly prefix?: Uint8Array;
  readonly prevKv?: boolean;
  readonly keysMax: number;
}

/**
 * Drops the history below `revision` (apply version 4): reads and watches below it are then
 * refused. Through the log, so every member compacts at the same point.
 */
export interface CompactOp {
  readonly type: 'compact';
  readonly revision: number;
}

/** setPlacement is a cluster setting (placement.ts), applied at APPLY_VERSION_PLACEMENT or later; it touches no key. */
/** A change to users, roles, signing keys or the auth switch (see auth-state.ts); touches no key. */
export interface AuthOperation {
  readonly type: 'auth';
  readonly change: AuthChange;
}

export type KvOperation = PutOp | DeleteOp | TxnOperation | LeaseOperation | DeleteRangeOp | CompactOp | SetPlacementOp | AuthOperation;

/** Identifies a write for exactly-once application. An empty clientId means no deduplication. */
export interface ClientSession {
  readonly clientId: string;
  /** Positive; a client numbers its writes 1, 2, 3, ... */
  readonly sequence: number;
}

/** What a normal log entry's `data` decodes to. */
export interface KvCommand {
  readonly operation: KvOperation;
  readonly session?: ClientSession;
  /**
   * The leader's wall clock when it proposed the command. Sessions expire by this clock (made
   * monotonic by the state machine), never by the applying replica's own clock.
   */
  readonly proposedAtMs: number;
  /**
   * The leader's quota on the bytes of keys and values held (--store-bytes-max) when it proposed
   * the command. Apply refuses the write (QuotaExceededResult) if it would grow them beyond it.
   * Carried in the command so that every replica decides alike whatever its own configuration.
   * Absent: no quota.
   */
  readonly storeBytesMax?: number;
  /**
   * The apply version the leader proposed the command at (see apply-version.ts): the newest
   * every member said it runs. Absent: 1, as in a command of the first release.
   */
  readonly applyVersion?: number;
  /**
   * The revision of the auth state (StateMeta.auth; 0 before any auth change) the member that
   * took the write checked the caller's permission against, or a lower one. Applied at
   * APPLY_VERSION_AUTH_REVISION or later, the write is refused whole (authStale) if auth is on
   * and the state's revision is above it by then: its permission was checked against a state an
   * applied change has replaced. Absent: not checked at apply (a member's own command, or one of
   * an older release).
   */
  readonly authRevision?: number;
}

/** A member's identity and addresses, carried in a ConfChange's `context`. */
export interface MemberRecord {
  readonly id: number;
  readonly name: string;
  readonly region: string;
  readonly clientAddress: string;
  readonly peerAddress: string;
  readonly learner: boolean;
}

// Plain maps, no record extension: the encoding must stay readable by any later version.
const packr = new Packr({ useRecords: false, moreTypes: false });

/** Encodes a command for a normal entry's data. Call validateCommand first. */
export function encodeCommand(command: KvCommand): Uint8Array {
  return packr.pack(command);
}

/**
 * Decodes data made by encodeCommand. Throws InvalidCommandError if the bytes are not a
 * well-formed command (shape only; limits are checked by validateCommand before proposing).
 */
export function decodeCommand(data: Uint8Array): KvCommand {
  const decoded = unpackEntryData(data);
  checkCommandShape(decoded);
  return decoded;
}

/** Bytes a command batch adds to its commands: one msgpack array header. */
export const COMMAND_BATCH_OVERHEAD_BYTES = 5;

/**
 * One entry's data carrying several commands, each as encodeCommand made it: a msgpack array
 * of their maps, built by writing the array header in front of the encoded commands (nothing is
 * encoded again). A leader puts every write of one proposal round into one entry, so the costs
 * that go with each log entry (its record, checksum and LevelDB put on every member, its place
 * in Raft messages) are paid once for many writes.
 */
export function encodeCommandBatch(commands: readonly Uint8Array[]): Uint8Array {
  let bytes = 0;
  for (const command of commands) bytes += command.byteLength;
  const out = Buffer.allocUnsafe(COMMAND_BATCH_OVERHEAD_BYTES + bytes);
  out[0] = 0xdd; // array 32
  out.writeUInt32BE(commands.length, 1);
  let offset = COMMAND_BATCH_OVERHEAD_BYTES;
  for (const command of commands) {
    out.set(command, offset);
    offset += command.byteLength;
  }
  return out;
}

/**
 * Decodes a normal entry's data into its commands: one for data from encodeCommand, several for
 * data from encodeCommandBatch. A command that is not well formed comes back as the
 * InvalidCommandError saying why; data that does not decode at all throws it.
 */
export function decodeEntryCommands(data: Uint8Array): (KvCommand | InvalidCommandError)[] {
  const decoded = unpackEntryData(data);
  const commands: unknown[] = Array.isArray(decoded) ? decoded : [decoded];
  return commands.map((command) => {
    try {
      checkCommandShape(command);
      return command;
    } catch (error) {
      if (error instanceof InvalidCommandError) return error;
      throw error;
    }
  });
}

function unpackEntryData(data: Uint8Array): unknown {
  try {
    return packr.unpack(data);
  } catch (cause) {
    throw new InvalidCommandError('command does not decode', { cause });
  }
}

/** Encodes a member for a ConfChange's context. */
export function encodeMemberContext(member: MemberRecord): Uint8Array {
  return packr.pack(member);
}

/** Decodes a ConfChange's context; throws InvalidCommandError if it is not a MemberRecord. */
export function decodeMemberContext(context: Uint8Array): MemberRecord {
  let decoded: unknown;
  try {
    decoded = packr.unpack(context);
  } catch (cause) {
    throw new InvalidCommandError('member context does not decode', { cause });
  }
  if (!isRecord(decoded)) throw new InvalidCommandError('member context is not a map');
  const { id, name, region, clientAddress, peerAddress, learner } = decoded;
  if (!isSafeNonNegative(id) || id === 0) throw new InvalidCommandError(`member id ${String(id)} is invalid`);
  if (typeof name !== 'string' || typeof region !== 'string') {
    throw new InvalidCommandError('member name and region must be strings');
  }
  if (typeof clientAddress !== 'string' || typeof peerAddress !== 'string') {
    throw new InvalidCommandError('member addresses must be strings');
  }
  if (typeof learner !== 'boolean') throw new InvalidCommandError('member learner flag must be a boolean');
  return { id, name, region, clientAddress, peerAddress, learner };
}

/**
 * Checks a command against the limits and the rules of a well-formed request; throws
 * KeyTooLargeError, ValueTooLargeError, RequestTooLargeError or InvalidCommandError.
 * Returns the encoded command so that the caller proposes exactly what was checked.
 * The server calls this before proposing: bad input never enters the log.
 */
export function validateCommand(command: KvCommand, limits: StorageLimits): Uint8Array {
  checkCommandShape(command);
  const { operation, session } = command;
  if (session !== undefined && Buffer.byteLength(session.clientId) > limits.clientIdBytesMax) {
    throw new RequestTooLargeError(`client id is longer than ${limits.clientIdBytesMax} bytes`);
  }
  if (operation.type === 'txn') {
    validateTxnLimits(operation, limits);
  } else if (isLeaseOperation(operation)) {
    // Nothing but numbers, checked by shape.
  } else if (operation.type === 'deleteRange') {
    for (const key of [operation.start, operation.end, operation.prefix]) if (key !== undefined) checkKeyLimit(key, limits);
  } else if (operation.type !== 'compact' && operation.type !== 'setPlacement' && operation.type !== 'auth') {
    validateOpLimits(operation, limits);
  }
  const encoded = encodeCommand(command);
  if (encoded.byteLength > limits.commandBytesMax) {
    throw new RequestTooLargeError(
      `command is ${encoded.byteLength} bytes encoded; the limit is ${limits.commandBytesMax}`,
    );
  }
  return encoded;
}

function validateTxnLimits(txn: TxnOperation, limits: StorageLimits): void {
  const opCount = txn.success.length + txn.failure.length;
  if (opCount > limits.txnOpsMax) {
    throw new RequestTooLargeError(`txn has ${opCount} ops; the limit is ${limits.txnOpsMax}`);
  }
  if (txn.compare.length > limits.txnComparesMax) {
    throw new RequestTooLargeError(`txn has ${txn.compare.length} compares; the limit is ${limits.txnComparesMax}`);
  }
  for (const compare of txn.compare) {
    checkKeyLimit(compare.key, limits);
    if (compare.value !== undefined && compare.value.byteLength > limits.valueBytesMax) {
      throw new ValueTooLargeError(compare.value.byteLength, limits.valueBytesMax);
    }
  }
  for (const op of [...txn.success, ...txn.failure]) validateOpLimits(op, limits);
}

function validateOpLimits(op: TxnOp, limits: StorageLimits): void {
  checkKeyLimit(op.key, limits);
  if (op.type === 'put' && op.value.byteLength > limits.valueBytesMax) {
    throw new ValueTooLargeError(op.value.byteLength, limits.valueBytesMax);
  }
}

function checkKeyLimit(key: Uint8Array, limits: StorageLimits): void {
  if (key.byteLength > limits.keyBytesMax) throw new KeyTooLargeError(key.byteLength, limits.keyBytesMax);
}

/**
 * Structural rules, independent of configured limits so that every replica judges a logged
 * command the same way.
 */
function checkCommandShape(value: unknown): asserts value is KvCommand {
  if (!isRecord(value)) throw new InvalidCommandError('command is not a map');
  if (!isSafeNonNegative(value.proposedAtMs)) throw new InvalidCommandError('proposedAtMs must be a non-negative integer');
  if (value.session !== undefined) checkSessionShape(value.session);
  if (value.storeBytesMax !== undefined && !isSafeNonNegative(value.storeBytesMax)) {
    throw new InvalidCommandError('storeBytesMax must be a non-negative integer');
  }
  if (value.applyVersion !== undefined && (!isSafeNonNegative(value.applyVersion) || value.applyVersion < 1)) {
    throw new InvalidCommandError('applyVersion must be a positive integer');
  }
  if (value.authRevision !== undefined && !isSafeNonNegative(value.authRevision)) {
    throw new InvalidCommandError('authRevision must be a non-negative integer');
  }
  const operation = value.operation;
  if (!isRecord(operation)) throw new InvalidCommandError('command has no operation');
  if (operation.type === 'txn') {
    checkTxnShape(operation);
  } else if (operation.type === 'leaseGrant' || operation.type === 'leaseRevoke') {
    checkLeaseOperationShape(operation);
  } else if (operation.type === 'setPlacement') {
    checkPlacementShape(operation.placement);
  } else if (operation.type === 'deleteRange') {
    checkDeleteRangeShape(operation);
  } else if (operation.type === 'compact') {
    if (!isSafeNonNegative(operation.revision) || operation.revision < 1) throw new InvalidCommandError('compact needs a positive revision');
  } else if (operation.type === 'auth') {
    const problem = authChangeShapeProblem(operation.change);
    if (problem !== undefined) throw new InvalidCommandError(problem);
  } else {
    checkOpShape(operation, { insideTxn: false });
  }
}

function checkDeleteRangeShape(op: Record<string, unknown>): void {
  for (const field of ['start', 'end', 'prefix'] as const) {
    if (op[field] !== undefined && !(op[field] instanceof Uint8Array)) throw new InvalidCommandError(`deleteRange ${field} must be bytes`);
  }
  const prefix = op.prefix as Uint8Array | undefined;
  const start = op.start as Uint8Array | undefined;
  if (prefix === undefined && (start === undefined || start.byteLength === 0)) throw new InvalidCommandError('deleteRange needs a start key or a prefix');
  if (!isSafeNonNegative(op.keysMax) || op.keysMax < 1) throw new InvalidCommandError('deleteRange needs a positive keysMax');
}

function checkSessionShape(session: unknown): void {
  if (!isRecord(session) || typeof session.clientId !== 'string') {
    throw new InvalidCommandError('session must have a string clientId');
  }
  if (!isSafeNonNegative(session.sequence) || (session.clientId !== '' && session.sequence < 1)) {
    throw new InvalidCommandError(`session sequence must be a positive integer, got ${String(session.sequence)}`);
  }
}

function checkTxnShape(txn: Record<string, unknown>): void {
  const { compare, success, failure } = txn;
  if (!Array.isArray(compare) || !Array.isArray(success) || !Array.isArray(failure)) {
    throw new InvalidCommandError('txn needs compare, success and failure lists');
  }
  for (const item of compare) checkCompareShape(item);
  for (const branch of [success, failure]) {
    for (const op of branch) checkOpShape(op, { insideTxn: true });
    checkNoKeyWrittenTwice(branch as TxnOp[]);
  }
}

/** A txn branch may write each key at most once: two writes to one key would have no clear order of effect. */
function checkNoKeyWrittenTwice(ops: readonly TxnOp[]): void {
  const written = new Set<string>();
  for (const op of ops) {
    if (op.type === 'get') continue;
    const id = keyId(op.key);
    if (written.has(id)) {
      throw new InvalidCommandError(`txn writes key ${printableKey(op.key)} more than once in one branch`);
    }
    written.add(id);
  }
}

const compareTargets = new Set(['value', 'version', 'modRevision', 'createRevision']);
const compareOperators = new Set(['equal', 'notEqual', 'less', 'greater']);

function checkCompareShape(compare: unknown): void {
  if (!isRecord(compare) || !(compare.key instanceof Uint8Array)) throw new InvalidCommandError('compare needs a key');
  if (typeof compare.target !== 'string' || !compareTargets.has(compare.target)) {
    throw new InvalidCommandError(`compare target ${String(compare.target)} is unknown`);
  }
  if (typeof compare.operator !== 'string' || !compareOperators.has(compare.operator)) {
    throw new InvalidCommandError(`compare operator ${String(compare.operator)} is unknown`);
  }
  if (compare.target === 'value') {
    if (compare.value !== undefined && !(compare.value instanceof Uint8Array)) {
      throw new InvalidCommandError('compare value must be bytes');
    }
  } else if (compare.number !== undefined && !isSafeNonNegative(compare.number)) {
    throw new InvalidCommandError('compare number must be a non-negative integer');
  }
}

function checkOpShape(op: unknown, options: { insideTxn: boolean }): void {
  if (!isRecord(op) || !(op.key instanceof Uint8Array)) throw new InvalidCommandError('operation needs a key');
  if (op.key.byteLength === 0) throw new InvalidCommandError('key must not be empty');
  if (op.type === 'get') {
    if (!options.insideTxn) throw new InvalidCommandError('a get is a read; it is only logged inside a txn');
    return;
  }
  if (op.type !== 'put' && op.type !== 'delete') throw new InvalidCommandError(`operation ${String(op.type)} is unknown`);
  if (op.type === 'put' && !(op.value instanceof Uint8Array)) throw new InvalidCommandError('put needs a value');
  if (op.type === 'put') checkPutLeaseShape(op.lease);
  if (op.ifModRevision !== undefined && !isSafeNonNegative(op.ifModRevision)) {
    throw new InvalidCommandError('ifModRevision must be a non-negative integer');
  }
  const guarded = op.ifAbsent === true || (typeof op.ifModRevision === 'number' && op.ifModRevision > 0);
  if (options.insideTxn && guarded) {
    throw new InvalidCommandError('guards (ifAbsent, ifModRevision) are not allowed inside a txn; use compares');
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isSafeNonNegative(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** A string that identifies a key's bytes one to one (latin1 maps each byte to one code unit). */
export function keyId(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

function printableKey(key: Uint8Array): string {
  return JSON.stringify(Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('utf8').slice(0, 64));
}
