import { InvalidConfigError } from './errors.js';
export const defaultStorageLimits = {
    keyBytesMax: 4 * 1024,
    valueBytesMax: 1024 * 1024,
    txnOpsMax: 128,
    txnComparesMax: 128,
    rangeResultsMax: 10_000,
    commandBytesMax: 1536 * 1024,
    clientIdBytesMax: 128,
};
export const defaultSessionLimits = {
    sessionsMax: 10_000,
    sessionIdleMsMax: 10 * 60 * 1000,
    answersPerSessionMax: 8,
};
export const defaultLogLimits = {
    entryBytesMax: 2 * 1024 * 1024,
    snapshotDataBytesMax: 64 * 1024,
};
function requirePositiveInteger(name, value, max) {
    if (!Number.isSafeInteger(value) || value < 1 || value > max) {
        throw new InvalidConfigError(`${name} must be an integer in [1, ${max}], got ${value}`);
    }
}
/** Fills in defaults and checks every bound; throws InvalidConfigError. */
export function resolveStorageLimits(overrides = {}) {
    const limits = { ...defaultStorageLimits, ...overrides };
    requirePositiveInteger('keyBytesMax', limits.keyBytesMax, 64 * 1024);
    requirePositiveInteger('valueBytesMax', limits.valueBytesMax, 64 * 1024 * 1024);
    requirePositiveInteger('txnOpsMax', limits.txnOpsMax, 10_000);
    requirePositiveInteger('txnComparesMax', limits.txnComparesMax, 10_000);
    requirePositiveInteger('rangeResultsMax', limits.rangeResultsMax, 1_000_000);
    requirePositiveInteger('commandBytesMax', limits.commandBytesMax, 256 * 1024 * 1024);
    requirePositiveInteger('clientIdBytesMax', limits.clientIdBytesMax, 4096);
    if (limits.commandBytesMax < limits.keyBytesMax + limits.valueBytesMax) {
        throw new InvalidConfigError(`commandBytesMax (${limits.commandBytesMax}) must hold one key and one value ` +
            `(${limits.keyBytesMax} + ${limits.valueBytesMax})`);
    }
    return limits;
}
export function resolveSessionLimits(overrides = {}) {
    const limits = { ...defaultSessionLimits, ...overrides };
    requirePositiveInteger('sessionsMax', limits.sessionsMax, 10_000_000);
    requirePositiveInteger('sessionIdleMsMax', limits.sessionIdleMsMax, 365 * 24 * 3600 * 1000);
    requirePositiveInteger('answersPerSessionMax', limits.answersPerSessionMax, 1024);
    return limits;
}
export function resolveLogLimits(overrides = {}) {
    const limits = { ...defaultLogLimits, ...overrides };
    requirePositiveInteger('entryBytesMax', limits.entryBytesMax, 1024 * 1024 * 1024);
    requirePositiveInteger('snapshotDataBytesMax', limits.snapshotDataBytesMax, 64 * 1024 * 1024);
    return limits;
}
//# sourceMappingURL=limits.js.map