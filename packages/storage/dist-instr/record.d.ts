/**
 * The framing of every record the log stores:
 *
 *   offset 0  u8   format version (1)
 *   offset 1  u32  payload length, big-endian
 *   offset 5  u32  CRC32 of the payload, big-endian
 *   offset 9  ...  payload (msgpack)
 *
 * A write that was cut short leaves a record shorter than its length says, or a payload whose
 * checksum fails: both are what a torn write looks like. A record longer than its length says,
 * or a length beyond the limit, cannot come from a torn write: that is forgery or corruption.
 */
export declare const recordHeaderBytes = 9;
export declare function frameRecord(payload: Uint8Array): Uint8Array;
export type RecordCheck = {
    readonly kind: 'ok';
    readonly payload: Uint8Array;
}
/** Looks like a write cut short: repairable if it is at the tail of the log. */
 | {
    readonly kind: 'torn';
    readonly reason: string;
}
/** Cannot come from a torn write: never repairable. */
 | {
    readonly kind: 'forged';
    readonly reason: string;
};
export declare function checkRecord(record: Uint8Array, recordBytesMax: number): RecordCheck;
//# sourceMappingURL=record.d.ts.map