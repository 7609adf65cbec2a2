import { Packr } from 'msgpackr';
/**
 * Key layout of the state machine's LevelDB (one-letter prefixes):
 *   'k' + user key   → StoredValue       the key-value data
 *   's' + client id  → SessionRecord     exactly-once sessions
 *   'm'              → StateMeta         applied index/term, revision, membership, session clock
 *   'r'              → restore marker    only in a restored database: the copy is complete
 */
export const userKeyPrefix = 0x6b; // 'k'
export const sessionKeyPrefix = 0x73; // 's'
export const metaKey = Uint8Array.of(0x6d); // 'm'
export const restoreMarkerKey = Uint8Array.of(0x72); // 'r'
export const packr = new Packr({ useRecords: false, moreTypes: false });
export const freshMeta = {
    appliedIndex: 0,
    appliedTerm: 0,
    revision: 0,
    confState: { voters: [], learners: [] },
    members: [],
    sessionClockMs: 0,
    sessionTouches: 0,
};
export function prefixedKey(prefix, rest) {
    const key = Buffer.allocUnsafe(rest.byteLength + 1);
    key[0] = prefix;
    key.set(rest, 1);
    return key;
}
export function userKeyOf(key) {
    return key.subarray(1);
}
export function sessionKey(clientId) {
    return prefixedKey(sessionKeyPrefix, Buffer.from(clientId, 'utf8'));
}
export function toKeyValue(key, stored, options) {
    return {
        key,
        value: options.keysOnly ? new Uint8Array(0) : stored.value,
        createRevision: stored.createRevision,
        modRevision: stored.modRevision,
        version: stored.version,
    };
}
/** The smallest key greater than every key starting with `prefix`, or undefined if there is none. */
export function prefixEnd(prefix) {
    const end = Uint8Array.from(prefix);
    for (let position = end.length - 1; position >= 0; position--) {
        if (end[position] < 0xff) {
            end[position] += 1;
            return end.subarray(0, position + 1);
        }
    }
    return undefined;
}
//# sourceMappingURL=kv-format.js.map