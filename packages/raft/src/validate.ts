/**
 * Checks at the door: malformed input is refused before it can change anything.
 *
 * `validateMessage` takes anything a decoder produced (msgpack from the peer port, or a test's
 * random value) and says whether it is a well-formed Message: every field present with its type,
 * numbers within range, entries contiguous and in term order, a snapshot with a usable membership,
 * sizes within the limits. It never throws: it returns the problem, so a transport can drop the
 * message, count it and go on. The core runs it again on every step.
 */
import { ENTRY_OVERHEAD_BYTES, entryBytes } from './entries.js';
import { ConfChangeInvalidError, MessageInvalidError, type MessageProblem } from './errors.js';
import { isNodeId } from './membership.js';
import type { ConfChange, ConfState, Entry, Message, MessageType, Snapshot } from './types.js';

/**
 * The largest term, index or commit a message may carry. Far beyond any real log (2^52 entries),
 * and low enough that the core's arithmetic on it (term + 1, index + entries) stays exact.
 */
export const TERM_INDEX_MAX = 2 ** 52;

/** Sizes a message may not exceed; each is the receiver's own setting. */
export interface MessageLimits {
  /**
   * Bytes of entries (as entryBytes counts them) in one append: the receiver's messageBytesMax. A
   * leader packs at most that much, or one entry of at most that much plus a conf change's
   * overhead, so the check allows that overhead beyond the limit.
   */
  readonly entriesBytesMax: number;
  /** Bytes of a snapshot's opaque data (the server sends a small handle; state streams apart). */
  readonly snapshotDataBytesMax: number;
}

const MESSAGE_TYPES: ReadonlySet<string> = new Set<MessageType>([
  'preVote',
  'preVoteResponse',
  'vote',
  'voteResponse',
  'append',
  'appendResponse',
  'heartbeat',
  'heartbeatResponse',
  'snapshot',
  'readIndex',
  'readIndexResponse',
  'timeoutNow',
]);

/** Fields holding a term or an index (or a commit index, a hint): 0 ..= TERM_INDEX_MAX. */
const POSITION_FIELDS = ['term', 'logTerm', 'index', 'commit', 'rejectHint', 'rejectTerm'] as const;

/** A conf change entry costs its context plus this beyond ENTRY_OVERHEAD_BYTES (entryBytes). */
const CONF_CHANGE_OVERHEAD_BYTES = 8;

const CONF_CHANGE_TYPES: readonly string[] = ['addLearner', 'addVoter', 'promoteLearner', 'removeNode'];

type Fields = Readonly<Record<string, unknown>>;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function isPosition(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= TERM_INDEX_MAX;
}

function isContext(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function invalid(problem: MessageProblem, detail: string): MessageInvalidError {
  return new MessageInvalidError(problem, detail);
}

/**
 * Says what is wrong with `value` as a Message, or undefined when it is a well-formed one.
 * Without `limits` sizes are not checked (the simulator's messages never cross a wire).
 */
export function validateMessage(value: unknown, limits?: MessageLimits): MessageInvalidError | undefined {
  if (!isFields(value)) return invalid('shape', 'message is not an object');
  const type = value.type;
  if (typeof type !== 'string' || !MESSAGE_TYPES.has(type)) return invalid('type', `unknown message type ${describe(type)}`);
  if (!isNodeId(value.from) || !isNodeId(value.to)) {
    return invalid('node-id', `message ${type} has an invalid from/to (${describe(value.from)} -> ${describe(value.to)})`);
  }
  for (const field of POSITION_FIELDS) {
    if (!isPosition(value[field])) {
      return invalid('range', `message ${type}.${field} ${describe(value[field])} is not an integer in [0, 2^52]`);
    }
  }
  if (!isContext(value.context)) return invalid('range', `message ${type}.context ${describe(value.context)} is not a non-negative safe integer`);
  if (typeof value.reject !== 'boolean') return invalid('shape', `message ${type}.reject is not a boolean`);
  if (value.lostEntries !== undefined && typeof value.lostEntries !== 'boolean') {
    return invalid('shape', `message ${type}.lostEntries is not a boolean`);
  }
  const message = value as unknown as Message;
  const carriesLogTerm = type === 'append' || type === 'vote' || type === 'preVote';
  if (carriesLogTerm && message.logTerm > message.term) {
    return invalid('range', `message ${type}.logTerm ${message.logTerm} is past its term ${message.term}`);
  }
  if (!Array.isArray(value.entries)) return invalid('shape', `message ${type}.entries is not an array`);
  if (type !== 'append' && value.entries.length > 0) return invalid('entries', `message ${type} carries entries`);
  const entriesProblem = type === 'append' ? checkEntries(message, value.entries, limits) : undefined;
  if (entriesProblem !== undefined) return entriesProblem;
  if (type === 'snapshot') return checkSnapshot(message, value.snapshot, limits);
  if (value.snapshot !== undefined) return invalid('snapshot', `message ${type} carries a snapshot`);
  return undefined;
}

/** Entries follow `index` one by one, terms never decrease and never pass the message's term. */
function checkEntries(message: Message, entries: readonly unknown[], limits: MessageLimits | undefined): MessageInvalidError | undefined {
  let previousTerm = message.logTerm;
  let bytes = 0;
  for (const [position, value] of entries.entries()) {
    const problem = entryProblem(value, limits);
    if (problem !== undefined) return invalid('entries', `append entry ${position} ${problem}`);
    const entry = value as Entry;
    if (entry.index !== message.index + 1 + position) {
      return invalid('entries', `append entry ${position} has index ${entry.index}, not ${message.index + 1 + position}`);
    }
    if (entry.term < previousTerm || entry.term > message.term) {
      return invalid('entries', `append entry ${position} has term ${entry.term} outside [${previousTerm}, ${message.term}]`);
    }
    previousTerm = entry.term;
    bytes += entryBytes(entry);
  }
  if (limits !== undefined && bytes > limits.entriesBytesMax + ENTRY_OVERHEAD_BYTES + CONF_CHANGE_OVERHEAD_BYTES) {
    return invalid('too-large', `append carries ${bytes} bytes of entries, more than ${limits.entriesBytesMax}`);
  }
  return undefined;
}

/** What is wrong with one entry's own fields, or undefined. */
function entryProblem(value: unknown, limits: MessageLimits | undefined): string | undefined {
  if (!isFields(value)) return 'is not an object';
  if (!isPosition(value.term) || !isPosition(value.index) || value.index === 0) return 'has an invalid term or index';
  if (value.type === 'normal') return value.data instanceof Uint8Array ? undefined : 'has no byte data';
  if (value.type !== 'confChange') return `has an unknown type ${describe(value.type)}`;
  const problem = confChangeProblem(value.change, limits?.entriesBytesMax);
  return problem === undefined ? undefined : `holds a conf change that ${problem}`;
}

function confChangeProblem(value: unknown, contextBytesMax: number | undefined): string | undefined {
  if (!isFields(value)) return 'is not an object';
  if (typeof value.type !== 'string' || !CONF_CHANGE_TYPES.includes(value.type)) return `has an unknown type ${describe(value.type)}`;
  if (!isNodeId(value.nodeId)) return `names an invalid node ${describe(value.nodeId)}`;
  if (value.context === undefined) return undefined;
  if (!(value.context instanceof Uint8Array)) return 'has a context that is not bytes';
  if (contextBytesMax !== undefined && value.context.byteLength > contextBytesMax) {
    return `has a context of ${value.context.byteLength} bytes, more than ${contextBytesMax}`;
  }
  return undefined;
}

function checkSnapshot(message: Message, value: unknown, limits: MessageLimits | undefined): MessageInvalidError | undefined {
  if (!isFields(value) || !isFields(value.meta)) return invalid('snapshot', 'snapshot message without a snapshot');
  const { index, term, confState } = value.meta;
  if (!isPosition(index) || !isPosition(term) || index === 0 || term === 0) {
    return invalid('snapshot', `snapshot at index ${describe(index)} term ${describe(term)} is out of range`);
  }
  if (term > message.term) return invalid('snapshot', `snapshot term ${term} is past the message's term ${message.term}`);
  const confProblem = confStateProblem(confState);
  if (confProblem !== undefined) return invalid('snapshot', `snapshot membership ${confProblem}`);
  if (!(value.data instanceof Uint8Array)) return invalid('snapshot', 'snapshot data is not bytes');
  const snapshot = value as unknown as Snapshot;
  if (limits !== undefined && snapshot.data.byteLength > limits.snapshotDataBytesMax) {
    return invalid('too-large', `snapshot data of ${snapshot.data.byteLength} bytes is more than ${limits.snapshotDataBytesMax}`);
  }
  return undefined;
}

/** A membership is at least one voter, learners apart, every id a node id listed once. */
function confStateProblem(value: unknown): string | undefined {
  if (!isFields(value) || !Array.isArray(value.voters) || !Array.isArray(value.learners)) return 'is not a voter and a learner list';
  const conf = value as unknown as ConfState;
  if (conf.voters.length === 0) return 'has no voter';
  const seen = new Set<number>();
  for (const id of [...conf.voters, ...conf.learners]) {
    if (!isNodeId(id)) return `names an invalid node ${describe(id)}`;
    if (seen.has(id)) return `names node ${id} twice`;
    seen.add(id);
  }
  return undefined;
}

/** A value for an error message: short whatever it is (a hostile string may be long). */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return `${value.byteLength} bytes`;
  return typeof value;
}

export function validateConfChange(change: ConfChange, contextBytesMax: number): void {
  if (typeof change !== 'object' || change === null || !CONF_CHANGE_TYPES.includes(change.type)) {
    throw new ConfChangeInvalidError(`unknown change type ${String((change as { type?: unknown } | null)?.type)}`);
  }
  if (!isNodeId(change.nodeId)) throw new ConfChangeInvalidError(`node id ${String(change.nodeId)} is not a positive safe integer`);
  if (change.context !== undefined) {
    if (!(change.context instanceof Uint8Array)) throw new ConfChangeInvalidError('context is not a Uint8Array');
    if (change.context.byteLength > contextBytesMax) {
      throw new ConfChangeInvalidError(`context of ${change.context.byteLength} bytes exceeds messageBytesMax (${contextBytesMax})`);
    }
  }
}
