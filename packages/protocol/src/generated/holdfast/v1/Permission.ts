// Original file: proto/holdfast/v1/auth.proto


export interface Permission {
  /**
   * keys | admin
   */
  'type'?: (string);
  /**
   * keys: [key, range_end); empty range_end = `key` alone; range_end = "\0" = every key from `key`.
   */
  'key'?: (Buffer | Uint8Array | string);
  'rangeEnd'?: (Buffer | Uint8Array | string);
  /**
   * keys: every key starting with `key` (range_end must be empty).
   */
  'prefix'?: (boolean);
  /**
   * keys: read | readwrite
   */
  'access'?: (string);
  /**
   * admin: membership | backup | compaction | auth
   */
  'right'?: (string);
}

export interface Permission__Output {
  /**
   * keys | admin
   */
  'type': (string);
  /**
   * keys: [key, range_end); empty range_end = `key` alone; range_end = "\0" = every key from `key`.
   */
  'key': (Buffer);
  'rangeEnd': (Buffer);
  /**
   * keys: every key starting with `key` (range_end must be empty).
   */
  'prefix': (boolean);
  /**
   * keys: read | readwrite
   */
  'access': (string);
  /**
   * admin: membership | backup | compaction | auth
   */
  'right': (string);
}
