import type { Message } from './types.js';

/**
 * A message with every field its type does not use at the zero value, so every producer (the
 * core, drivers, tests) builds the flat Message shape the same way.
 */
export function newMessage(fields: Partial<Message> & Pick<Message, 'type' | 'from' | 'to' | 'term'>): Message {
  return {
    logTerm: 0,
    index: 0,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
    rejectTerm: 0,
    context: 0,
    ...fields,
  };
}
