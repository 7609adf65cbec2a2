import type { KeyValue, MemberStatus, StatusResult } from '@holdfast/client';

/** Left-aligned columns separated by two spaces; the header row first. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** One line per key: `key<TAB>value` (or just the key when values were not fetched). */
export function renderKeyValues(kvs: readonly KeyValue[], options: { keysOnly: boolean }): string {
  return kvs.map((kv) => (options.keysOnly ? kv.keyString() : `${kv.keyString()}\t${kv.valueString()}`)).join('\n');
}

export const statusHeaders = ['ID', 'NAME', 'REGION', 'ROLE', 'TERM', 'LEADER', 'COMMIT', 'APPLIED', 'MATCH', 'STORE', 'VERSION'];

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 512 B, 1.5 KiB, 8 GiB: binary units, at most one decimal. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = unit === 0 ? String(value) : value.toFixed(1).replace(/\.0$/, '');
  return `${shown} ${BYTE_UNITS[unit]}`;
}

/**
 * One row per member. MATCH is the follower's match index as the leader sees it ("-" for the
 * leader itself, and for everyone when the leader's progress is unknown).
 */
export function statusRows(status: StatusResult): string[][] {
  const leader = status.members.find((member) => member.id === status.leaderId);
  const matchById = new Map((leader?.followers ?? []).map((follower) => [follower.id, follower.matchIndex]));
  return status.members.map((member) => statusRow(member, matchById));
}

function statusRow(member: MemberStatus, matchById: ReadonlyMap<number, number>): string[] {
  const unreachable = member.role === 'unreachable';
  const number = (value: number) => (unreachable ? '-' : String(value));
  const role = member.learner && !unreachable ? `${member.role} (learner)` : member.role;
  return [
    String(member.id),
    member.name,
    member.region,
    role,
    number(member.term),
    member.leaderId === 0 || unreachable ? '-' : String(member.leaderId),
    number(member.commitIndex),
    number(member.appliedIndex),
    String(matchById.get(member.id) ?? '-'),
    // Bytes of keys and values held, of the quota (--store-bytes-max) the member has when it leads.
    unreachable ? '-' : `${formatBytes(member.storeBytes)} / ${formatBytes(member.storeBytesMax)}`,
    // The apply version the member's state is at; "(up to N)" while its release implements a newer one.
    unreachable ? '-' : member.applyVersionMax > member.clusterVersion ? `${member.clusterVersion} (up to ${member.applyVersionMax})` : String(member.clusterVersion),
  ];
}

export function renderStatus(status: StatusResult): string {
  const table = renderTable(statusHeaders, statusRows(status));
  const errors = status.members
    .filter((member) => member.error !== '')
    .map((member) => `member ${member.id}: ${member.error}`);
  const alarms = status.members.flatMap((member) => [
    ...(member.readsRefused ? [`ALARM member ${member.id}: refuses reads until repaired`] : []),
    ...(member.repairing ? [`REPAIR member ${member.id}: repairing from the others, not voting (${member.repairReason})`] : []),
    ...member.alarms.map((alarm) => `ALARM member ${member.id}: ${alarm}`),
  ]);
  const leader = status.leaderId === 0 ? 'leader: none known' : `leader: ${status.leaderId}`;
  return [table, '', leader, ...errors, ...alarms].join('\n');
}

/** Bytes anywhere in a result become UTF-8 text (before JSON.stringify sees Buffer.toJSON). */
function textForJson(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('utf8');
  if (Array.isArray(value)) return value.map(textForJson);
  if (value === null || typeof value !== 'object') return value;
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return textForJson(withToJson.toJSON());
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, textForJson(item)]));
}

/** JSON for scripts: one line, keys and values as UTF-8 text. */
export function toJsonLine(value: unknown): string {
  return JSON.stringify(textForJson(value));
}
