import type { KeyValue, MemberStatus, Placement, StatusResult } from '@holdfast/client';

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
    ...(member.lastRepair !== '' ? [`REPAIRED member ${member.id}: ${member.lastRepair}`] : []),
  ]);
  const leader = status.leaderId === 0 ? 'leader: none known' : `leader: ${status.leaderId}`;
  return [table, '', leader, ...errors, ...alarms, ...renderRegions(status), renderHistory(status), ...status.warnings.map((w) => `WARNING: ${w}`)].join('\n');
}

/** Keys held and the key history of each reachable member: compacted to which revision, bytes on disk. */
function renderHistory(status: StatusResult): string {
  const members = status.members.filter((member) => member.role !== 'unreachable');
  const each = members.map((member) =>
    member.compactRevision === 0
      ? `${member.id}: ${member.keyCount} keys, no history kept`
      : `${member.id}: ${member.keyCount} keys, history from revision ${member.compactRevision} (${formatBytes(member.historyBytes)})`,
  );
  return `history: ${each.join('; ') || '-'}`;
}

/** The voters' layout by region, whether it survives losing one, and the placement setting. */
function renderRegions(status: StatusResult): string[] {
  const survives = status.survivesRegionLoss ? 'survives the loss of any one region' : 'does NOT survive the loss of every region';
  return [`layout: ${status.layout} (${survives})`, `placement: ${renderPlacement(status.placement)}`];
}

export function renderPlacement(placement: Placement): string {
  const regions = placement.leaderRegions.length === 0 ? 'none' : placement.leaderRegions.join(',');
  return `leader regions ${regions}; survive ${placement.survive}`;
}

/**
 * The round-trip times each member measured to each peer (rows: from, columns: to), in
 * milliseconds; '-' where none was measured (the peer is unreachable, or the member just started).
 */
export function renderRttMatrix(status: StatusResult): string {
  const ids = status.members.map((m) => m.id);
  const headers = ['FROM \\ TO', ...status.members.map((m) => `${m.id} ${m.region}`)];
  const rows = status.members.map((from) => [
    `${from.id} ${from.region}`,
    ...ids.map((to) => {
      if (to === from.id) return '.';
      const rtt = from.peerRtts.find((r) => r.peerId === to);
      return rtt === undefined ? '-' : `${rtt.rttMs.toFixed(1)} (max ${rtt.rttMaxMs.toFixed(1)})`;
    }),
  ]);
  const timeouts = [...new Set(status.members.filter((m) => m.electionTimeoutMs > 0).map(electionTimeoutRange))];
  return [renderTable(headers, rows), '', `RTT in ms, smoothed (largest of the last minute); election timeout ${timeouts.join(' / ') || '?'} ms`].join('\n');
}

/** "1500-3000": the range a member draws its election timeout from (just the minimum from a release without the spread). */
function electionTimeoutRange(member: { electionTimeoutMs: number; electionSpreadMs: number }): string {
  if (member.electionSpreadMs === 0) return String(member.electionTimeoutMs);
  return `${member.electionTimeoutMs}-${member.electionTimeoutMs + member.electionSpreadMs}`;
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
