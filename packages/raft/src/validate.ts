/** Checks at the door: malformed input is refused before it can change anything. */
import { ConfChangeInvalidError, MessageInvalidError } from './errors.js';
import { isNodeId } from './membership.js';
import type { ConfChange, Message, MessageType } from './types.js';

const MESSAGE_TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
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

function isIndex(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Drops malformed input at the door: it must change nothing. */
export function validateMessage(message: Message): void {
  if (typeof message !== 'object' || message === null) throw new MessageInvalidError('message is not an object');
  if (!MESSAGE_TYPES.has(message.type)) throw new MessageInvalidError(`unknown message type ${String(message.type)}`);
  if (!isNodeId(message.from) || !isNodeId(message.to)) {
    throw new MessageInvalidError(`message ${message.type} has an invalid from/to (${message.from} -> ${message.to})`);
  }
  for (const field of ['term', 'logTerm', 'index', 'commit', 'rejectHint', 'rejectTerm', 'context'] as const) {
    if (!isIndex(message[field])) throw new MessageInvalidError(`message ${message.type}.${field} is not a non-negative integer`);
  }
  const carriesLogTerm = message.type === 'append' || message.type === 'vote' || message.type === 'preVote';
  if (carriesLogTerm && message.logTerm > message.term) {
    throw new MessageInvalidError(`message ${message.type}.logTerm ${message.logTerm} is past its term ${message.term}`);
  }
  if (!Array.isArray(message.entries)) throw new MessageInvalidError(`message ${message.type}.entries is not an array`);
  for (const [position, entry] of message.entries.entries()) {
    if (entry.index !== message.index + 1 + position || !isIndex(entry.term) || entry.term > message.term) {
      throw new MessageInvalidError(`message ${message.type} entry ${position} is out of place`);
    }
    const wellFormed =
      entry.type === 'normal' ? entry.data instanceof Uint8Array : entry.type === 'confChange' && isConfChangeShape(entry.change);
    if (!wellFormed) throw new MessageInvalidError(`message ${message.type} entry ${position} is malformed`);
  }
  if (message.type === 'snapshot') {
    const meta = message.snapshot?.meta;
    if (meta === undefined || !isIndex(meta.index) || !isIndex(meta.term) || meta.index === 0 || meta.term > message.term) {
      throw new MessageInvalidError('snapshot message without a valid snapshot');
    }
  }
}

const CONF_CHANGE_TYPES: readonly string[] = ['addLearner', 'addVoter', 'promoteLearner', 'removeNode'];

function isConfChangeShape(change: ConfChange): boolean {
  return (
    typeof change === 'object' &&
    change !== null &&
    CONF_CHANGE_TYPES.includes(change.type) &&
    isNodeId(change.nodeId) &&
    (change.context === undefined || change.context instanceof Uint8Array)
  );
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
