import type { KeyValue__Output, ResponseHeader__Output } from '@holdfast/protocol';

/** Keys and values: a string is encoded as UTF-8; bytes are sent as they are. */
export type Bytes = string | Uint8Array;

const decoder = new TextDecoder('utf-8');

export function toBytes(input: Bytes): Buffer {
  if (typeof input === 'string') return Buffer.from(input, 'utf8');
  return Buffer.from(input.buffer, input.byteOffset, input.byteLength);
}

export function bytesToString(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** The header every answer carries: which node answered, at which term and store revision. */
export interface ResponseHeader {
  clusterId: string;
  memberId: number;
  term: number;
  revision: number;
}

const emptyHeader: ResponseHeader = { clusterId: '', memberId: 0, term: 0, revision: 0 };

export function headerFromWire(header: ResponseHeader__Output | null): ResponseHeader {
  if (header === null) return emptyHeader;
  return { clusterId: header.clusterId, memberId: header.memberId, term: header.term, revision: header.revision };
}

/**
 * A stored key and its value as bytes. Use `keyString()` / `valueString()` for UTF-8 text;
 * the bytes stay the source of truth because values need not be text.
 */
export class KeyValue {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** Revision of the write that created the key (since its last delete). */
  readonly createRevision: number;
  /** Revision of the last write to the key. */
  readonly modRevision: number;
  /** Writes since creation; 1 after the first put. */
  readonly version: number;
  /** The lease the key is attached to; 0 = none. */
  readonly lease: number;

  constructor(wire: KeyValue__Output) {
    this.key = wire.key;
    this.value = wire.value;
    this.createRevision = wire.createRevision;
    this.modRevision = wire.modRevision;
    this.version = wire.version;
    this.lease = wire.lease ?? 0;
  }

  keyString(): string {
    return bytesToString(this.key);
  }

  valueString(): string {
    return bytesToString(this.value);
  }

  /** A plain object with UTF-8 key and value, for logs and JSON output. */
  toJSON(): { key: string; value: string; createRevision: number; modRevision: number; version: number } {
    return {
      key: this.keyString(),
      value: this.valueString(),
      createRevision: this.createRevision,
      modRevision: this.modRevision,
      version: this.version,
    };
  }
}

export function keyValueFromWire(wire: KeyValue__Output | null | undefined): KeyValue | undefined {
  return wire === null || wire === undefined ? undefined : new KeyValue(wire);
}
