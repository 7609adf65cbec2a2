import fs from 'node:fs';
import path from 'node:path';
import * as vega from 'vega';
import * as vegaLite from 'vega-lite';
import type { ViolationRule } from '@holdfast/checker';
import type { AuditSummary, DamageReport } from './corruption.js';
import type { Convergence } from './audit.js';
import type { FaultWindow } from './nemesis.js';
import type { ScheduledFault } from './schedule.js';
import { type RegionLatencyRow, type RunFigures, spread } from './stats.js';
import type { ReadBackResult } from './verdict.js';
import type { BadCredentialsSummary } from './bad-credentials.js';

/** The bad-credentials probes as table rows: each kind, sent, refused, unanswered, accepted. */
function renderBadCredentials(summary: BadCredentialsSummary): string[] {
  const rows = Object.entries(summary.probes).map(
    ([probe, c]) => `| bad credentials: ${probe} | ${c.attempts} sent, ${c.refused} refused, ${c.unanswered} unanswered, ${c.accepted} accepted |`,
  );
  return rows;
}
import type { WatchVerdict } from './watch-check.js';
import type { PrevKvVerdict } from './prevkv-check.js';
import type { CoordinationVerdict } from './coordination.js';
import type { StalenessVerdict } from './staleness-check.js';

export interface BenchVerdict {
  passed: boolean;
  /** One line per reason the verdict failed. */
  failures: string[];
  linearizability: {
    judged: boolean;
    reason?: string;
    linearizable?: boolean;
    keysChecked?: number;
    operationsChecked?: number;
    undecidedKeys?: string[];
    elapsedMs?: number;
    /**
     * rule: the checker's named rule ('stale-read', 'lost-write', ..., or 'no-order'); the explanation
     * starts with it in words. servedBy: the member audit reads among the operations (which member
     * served them, when).
     */
    violations?: { key: string; rule?: ViolationRule; explanation: string; operationIds: number[]; servedBy?: string[] }[];
  };
  lostWrites: ReadBackResult;
  /** The watch check (watch-check.ts); absent for a target without watches. */
  watch?: WatchVerdict;
  /** The watch's prevKv against the changes it told and reads at revision - 1 (prevkv-check.ts). */
  prevKv?: PrevKvVerdict;
  /** The bad-credentials nemesis: every kind of probe, how often refused, and anything that went through. */
  badCredentials?: BadCredentialsSummary;
  /** The corruption nemesis: every damage and how its member ended; the members at the end. */
  damage?: DamageVerdict;
  /** The lock and lease workloads (coordination.ts). */
  coordination?: CoordinationVerdict;
  /** Bounded-staleness reads against their bound (staleness-check.ts); absent when none were sent. */
  staleness?: StalenessVerdict;
}

export interface DamageVerdict {
  damaged: number;
  repaired: number;
  /** Stopped judging repair unsafe: findings, not failures. */
  stoppedUnsafe: number;
  /** Stopped for another reason, or stuck: failures. */
  stopped: number;
  stuck: number;
  findings: string[];
  reports: DamageReport[];
  convergence?: Convergence;
  audits?: Record<string, AuditSummary>;
}

export interface BenchReport {
  version: 1;
  target: string;
  startedAt: string;
  /** Wall-clock time (ms since the epoch) at the bench clock's 0, to line its times up with the members' logs. */
  clockEpochMs: number;
  options: Record<string, unknown>;
  seed: string;
  schedule: ScheduledFault[];
  faults: FaultWindow[];
  figures: RunFigures;
  verdict: BenchVerdict;
  /** Test-only anomalies the run inserted on purpose. */
  planted: string[];
  /** Caveats about the run (e.g. links the proxies could not cover). */
  notes: string[];
  outDir: string;
}

export interface RecoveryByKind {
  kind: string;
  count: number;
  firstSuccessP50Ms: number | null;
  firstSuccessP99Ms: number | null;
  throughputBackP50Ms: number | null;
  throughputBackP99Ms: number | null;
  unavailableP50Ms: number | null;
  unavailableP99Ms: number | null;
}

export function recoveryByKind(figures: RunFigures): RecoveryByKind[] {
  const kinds = [...new Set(figures.recoveries.map((r) => r.kind))].sort();
  return kinds.map((kind) => {
    const list = figures.recoveries.filter((r) => r.kind === kind);
    const first = spread(list.map((r) => r.firstSuccessMs));
    const back = spread(list.map((r) => r.throughputBackMs));
    const unavailable = spread(list.map((r) => r.unavailableMs));
    return {
      kind,
      count: list.length,
      firstSuccessP50Ms: first.p50,
      firstSuccessP99Ms: first.p99,
      throughputBackP50Ms: back.p50,
      throughputBackP99Ms: back.p99,
      unavailableP50Ms: unavailable.p50,
      unavailableP99Ms: unavailable.p99,
    };
  });
}

const fmt = (value: number | null | undefined, digits = 1): string =>
  value === null || value === undefined ? '-' : value.toFixed(digits);

/**
 * One line on the leader's return to the preferred region after region faults healed, and one per
 * heal: "leader back in us-east after heal (ms, 3 heals with it away): p50 1250, max 2250".
 */
export function leaderReturnLines(figures: RunFigures): string[] {
  const preference = figures.leaderPreference;
  if (preference === undefined || preference.returns.length === 0) return [];
  const away = preference.returns.filter((r) => r.awayAtHeal);
  const times = away.map((r) => r.returnMs);
  const { p50 } = spread(times);
  const present = times.filter((t): t is number => t !== null);
  const notBack = times.length - present.length;
  const summary =
    `leader back in ${preference.region} after a region heal: ${away.length} of ${preference.returns.length} heals found it away` +
    (away.length === 0 ? '' : `; ms p50 ${fmt(p50, 0)}, max ${present.length === 0 ? '-' : Math.max(...present).toFixed(0)}`) +
    (notBack === 0 ? '' : `; ${notBack} not back before the next fault or the end`);
  const perHeal = preference.returns.map(
    (r) =>
      `  #${r.index} ${r.kind} [${r.nodes.join(',')}] back at ${fmt(r.healedS)} s (links at ${fmt(r.linksBackS)} s): ${r.awayAtHeal ? 'away' : 'already there'}, ` +
      `${r.returnMs === null ? 'not back before the next fault or the end' : `${r.returnMs.toFixed(0)} ms`}`,
  );
  return [summary, ...perHeal];
}

/** The per-client-region table (stats.ts regionLatencyTable) as markdown rows. */
export function renderRegionTable(rows: readonly RegionLatencyRow[]): string[] {
  const lines = ['| client region | operation | ops | ok/s | p50 ms | p99 ms |', '|---|---|---|---|---|---|'];
  for (const row of rows) {
    lines.push(`| ${row.region} | ${row.kind} | ${row.count} | ${fmt(row.okPerS)} | ${fmt(row.p50Ms, 2)} | ${fmt(row.p99Ms, 2)} |`);
  }
  return lines;
}

export function renderSummaryMarkdown(report: BenchReport): string {
  const { figures, verdict } = report;
  const lines: string[] = [];
  lines.push(`# Bench run: ${report.target}`, '');
  lines.push(`- Started: ${report.startedAt}; seed \`${report.seed}\``);
  lines.push(`- Options: \`${JSON.stringify(report.options)}\``);
  lines.push(`- **Verdict: ${verdict.passed ? 'PASS' : 'FAIL'}**`);
  for (const failure of verdict.failures) lines.push(`  - ${failure}`);
  if (report.planted.length > 0) lines.push(`- Planted on purpose (test switch): ${report.planted.join('; ')}`);
  for (const note of report.notes) lines.push(`- Note: ${note}`);
  lines.push('', '## Figures', '');
  lines.push('| metric | value |', '|---|---|');
  lines.push(`| duration | ${fmt(figures.durationS)} s |`);
  lines.push(
    `| operations | ${figures.operations.total} (ok ${figures.operations.ok}, failed ${figures.operations.failed}, unknown ${figures.operations.unknown}) |`,
  );
  lines.push(`| throughput (ok) | ${fmt(figures.throughputOkPerS)} ops/s |`);
  lines.push(
    `| latency ok p50 / p90 / p99 / max | ${fmt(figures.latency.p50Ms, 2)} / ${fmt(figures.latency.p90Ms, 2)} / ${fmt(figures.latency.p99Ms, 2)} / ${fmt(figures.latency.maxMs, 1)} ms |`,
  );
  for (const [kind, summary] of Object.entries(figures.latencyByKind)) {
    lines.push(`| ${kind} p50 / p99 | ${fmt(summary.p50Ms, 2)} / ${fmt(summary.p99Ms, 2)} ms (${summary.count}) |`);
  }
  lines.push(`| leader changes | ${figures.leaderChanges} |`);
  const lin = verdict.linearizability;
  lines.push(
    `| linearizable | ${lin.judged ? `${lin.linearizable} (${lin.keysChecked} keys, ${lin.operationsChecked} ops, ${lin.violations?.length ?? 0} violations, ${lin.undecidedKeys?.length ?? 0} undecided, ${fmt(lin.elapsedMs, 0)} ms)` : `not judged: ${lin.reason}`} |`,
  );
  lines.push(
    `| lost writes | ${verdict.lostWrites.lostWriteCount} (keys affected ${verdict.lostWrites.lostWrites.length}; ${verdict.lostWrites.keysRead} keys read back, ${verdict.lostWrites.keysUnreadable.length} unreadable) |`,
  );
  lines.push(`| duplicate applications | ${verdict.lostWrites.duplicates.length} keys |`);
  const staleness = verdict.staleness;
  if (staleness !== undefined) {
    lines.push(
      `| bounded-staleness reads | ${staleness.readsChecked} checked against their ${staleness.boundMs ?? '-'} ms bound, ${staleness.violations.length} beyond it${staleness.violations[0] === undefined ? '' : `: ${escapePipes(staleness.violations[0].detail)}`} |`,
    );
  }
  const watch = verdict.watch;
  lines.push(
    `| watch over every key | ${watch === undefined ? 'not run (the target has no watch)' : `${watch.changes} changes told; ${watch.missingCount} acknowledged writes missing, ${watch.repeatedCount} told twice, ${watch.phantomCount} phantom, ${watch.outOfOrder} out of order${watch.error === undefined ? '' : `; ended: ${watch.error}`}`} |`,
  );
  const prevKv = verdict.prevKv;
  if (prevKv !== undefined) {
    const reads = prevKv.reads;
    lines.push(
      `| watch prevKv | ${prevKv.events} events (${prevKv.withPrev} with a prevKv): ${prevKv.agreed} as the history says, ${prevKv.wrongCount} wrong, ${prevKv.gapCount} gaps, ${prevKv.missingCount} missing; reads at revision - 1: ${reads.sampled} sampled, ${reads.agreed} agree, ${reads.disagreedCount} disagree, ${reads.unreadable} unreadable${reads.firstError === undefined ? '' : ` (${escapePipes(reads.firstError)})`} |`,
    );
  }
  const lock = verdict.coordination?.lock;
  if (lock !== undefined) {
    lines.push(
      `| lock (fenced register) | ${lock.acquisitions} acquisitions, ${lock.fencedWritesOk} fenced writes ok, ${lock.staleRefused} stale tokens refused, ${lock.unknownWrites} unknown; ${lock.staleAccepted.length} stale accepted, ${lock.duplicateTokens.length} tokens twice; ${lock.overlappingHolds} holds overlapping by the workers' clocks (fenced off) |`,
    );
  }
  const lease = verdict.coordination?.lease;
  if (lease !== undefined) {
    lines.push(
      `| lease expiry | ${lease.leases} leases, ${lease.keepAlivesAnswered} keepalives answered; ${lease.early.length} early, ${lease.neverExpired.length} never expired; late by p50 ${lease.latenessMs.p50} ms, p99 ${lease.latenessMs.p99} ms, max ${lease.latenessMs.max} ms (latest: ${lease.latest.join('; ') || '-'}) |`,
    );
  }
  const watchSessions = verdict.coordination?.watch;
  if (watchSessions !== undefined) {
    lines.push(
      `| watch sessions (prefix, past start, prevKv) | ${watchSessions.sessions} sessions (${watchSessions.judged} judged, ${watchSessions.changes} changes, started up to ${watchSessions.startBehindMax} revisions back); ${watchSessions.differingCount} differing from the watch over every key, ${watchSessions.errorCount} ended on an error |`,
    );
  }
  if (verdict.damage !== undefined) lines.push(...renderDamage(verdict.damage));
  if (verdict.badCredentials !== undefined) lines.push(...renderBadCredentials(verdict.badCredentials));
  // After the figures table, not inside it: a blank line would end that table in the markdown.
  if (figures.byClientRegion !== undefined) lines.push('', '## Latency by client region', '', ...renderRegionTable(figures.byClientRegion));
  lines.push('', '## Faults', '');
  lines.push('| # | kind | start s | end s | nodes | detail | first ok ms | first write ms | throughput back ms | longest outage ms |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  for (const window of report.faults) {
    const recovery = figures.recoveries.find((r) => r.index === window.index);
    const note = window.skipped !== undefined ? `skipped: ${window.skipped}` : window.error !== undefined ? `error: ${window.error}` : window.detail;
    const expectation =
      window.expectation === undefined ? '' : ` [${window.expectation.met ? 'ok' : 'NOT MET'}: ${window.expectation.description}]`;
    lines.push(
      `| ${window.index} | ${window.kind} | ${fmt(recovery?.startS)} | ${fmt(recovery?.endS)} | ${window.nodes.join(',')} | ${escapePipes(note + expectation)} | ${fmt(recovery?.firstSuccessMs, 0)} | ${fmt(recovery?.firstWriteMs, 0)} | ${fmt(recovery?.throughputBackMs, 0)} | ${fmt(recovery?.unavailableMs, 0)} |`,
    );
  }
  const returns = leaderReturnLines(figures);
  if (returns.length > 0) lines.push('', '## Leader back in the preferred region after a heal', '', ...returns.map((line) => `- ${line.trim()}`));
  lines.push('', '## Recovery by fault kind (ms)', '');
  lines.push('| kind | n | first ok p50 | p99 | throughput back p50 | p99 | longest outage p50 | p99 |');
  lines.push('|---|---|---|---|---|---|---|---|');
  for (const r of recoveryByKind(figures)) {
    lines.push(
      `| ${r.kind} | ${r.count} | ${fmt(r.firstSuccessP50Ms, 0)} | ${fmt(r.firstSuccessP99Ms, 0)} | ${fmt(r.throughputBackP50Ms, 0)} | ${fmt(r.throughputBackP99Ms, 0)} | ${fmt(r.unavailableP50Ms, 0)} | ${fmt(r.unavailableP99Ms, 0)} |`,
    );
  }
  if ((lin.violations?.length ?? 0) > 0) {
    lines.push('', '## Linearizability violations', '');
    for (const violation of lin.violations ?? []) {
      lines.push(`### key \`${violation.key}\``, '');
      for (const read of violation.servedBy ?? []) lines.push(`- member audit: ${read}`);
      lines.push('', '```', violation.explanation, '```', '');
    }
  }
  if (verdict.lostWrites.lostWrites.length > 0) {
    lines.push('', '## Lost writes', '');
    for (const lost of verdict.lostWrites.lostWrites) lines.push(`- \`${lost.key}\` ${lost.kind}: ${lost.detail}`);
  }
  if (watch !== undefined && watch.missing.length + watch.repeated.length + watch.phantom.length > 0) {
    lines.push('', '## Watch anomalies (the first of each kind)', '');
    for (const name of watch.missing) lines.push(`- missing: \`${name}\``);
    for (const name of watch.repeated) lines.push(`- told more than once: \`${name}\``);
    for (const name of watch.phantom) lines.push(`- no write made: \`${name}\``);
  }
  if (prevKv !== undefined && prevKv.wrong.length + prevKv.gaps.length + prevKv.missing.length + prevKv.reads.disagreed.length > 0) {
    lines.push('', '## prevKv anomalies (the first of each kind)', '');
    for (const line of prevKv.wrong) lines.push(`- wrong: \`${line}\``);
    for (const line of prevKv.gaps) lines.push(`- gap: \`${line}\``);
    for (const line of prevKv.missing) lines.push(`- missing: \`${line}\``);
    for (const line of prevKv.reads.disagreed) lines.push(`- read at revision - 1 disagrees: \`${line}\``);
  }
  if (verdict.lostWrites.duplicates.length > 0) {
    lines.push('', '## Duplicate applications', '');
    for (const d of verdict.lostWrites.duplicates) {
      lines.push(`- \`${d.key}\`: version ${d.version} > ${d.acknowledgedWrites} acknowledged + ${d.unknownWrites} unknown writes`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

function renderDamage(damage: DamageVerdict): string[] {
  const lines = ['', '## Disk damage', ''];
  lines.push(
    `${damage.damaged} damage(s): ${damage.repaired} repaired, ${damage.stoppedUnsafe} stopped judging repair unsafe, ${damage.stopped} stopped otherwise, ${damage.stuck} stuck.`,
  );
  for (const finding of damage.findings) lines.push(`- Finding: ${finding}`);
  if (damage.convergence !== undefined) {
    lines.push(`- At the end: ${damage.convergence.converged ? 'converged' : 'NOT converged'} (${damage.convergence.detail})`);
  }
  for (const [id, audit] of Object.entries(damage.audits ?? {})) lines.push(`- Audit of ${id}: ${audit.ok ? 'ok' : 'FAILED'}, ${audit.detail}`);
  if (damage.reports.length > 0) {
    lines.push(
      '',
      '| member | kind | stop | file | bytes | offsets | outcome | after ms | detail | the member said |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const r of damage.reports) {
      const offsets = r.offsets.length > 6 ? `${r.offsets.slice(0, 6).join(', ')}, …` : r.offsets.join(', ');
      const outcome = r.replacedBy === undefined ? (r.outcome ?? 'pending') : `${r.outcome ?? 'pending'} (replaced by ${r.replacedBy})`;
      lines.push(
        `| ${r.member} | ${r.kind} | ${r.stop} | ${r.file} (${r.fileBytes} B) | ${r.bytes} | ${offsets} | ${outcome} | ${r.outcomeAfterMs ?? '-'} | ${escapePipes(r.outcomeDetail ?? '')} | ${escapePipes(memberSaid(r))} |`,
      );
    }
  }
  return lines;
}

function memberSaid(report: DamageReport): string {
  if (report.memberSaid === undefined) return '';
  return report.memberSaid.length === 0 ? '(nothing)' : report.memberSaid.join(' / ');
}

function escapePipes(text: string): string {
  return text.replaceAll('|', '\\|');
}

/** Compile a vega-lite spec and render it to an SVG string, headless. */
export async function renderSvg(spec: vegaLite.TopLevelSpec): Promise<string> {
  const compiled = vegaLite.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

function faultLayer(faults: readonly FaultWindow[], startMs: number): object {
  return {
    data: {
      values: faults
        .filter((f) => f.skipped === undefined)
        .map((f) => ({
          start: (f.startMs - startMs) / 1000,
          end: Math.max((f.endMs - startMs) / 1000, (f.startMs - startMs) / 1000 + 0.2),
          fault: f.kind,
        })),
    },
    mark: { type: 'rect', opacity: 0.18 },
    encoding: {
      x: { field: 'start', type: 'quantitative' },
      x2: { field: 'end' },
      color: { field: 'fault', type: 'nominal', legend: { title: 'fault' } },
      tooltip: [{ field: 'fault' }],
    },
  };
}

export function throughputSpec(report: BenchReport, workloadStartMs: number): vegaLite.TopLevelSpec {
  const values = report.figures.timeline.flatMap((p) => [
    { t: p.t, series: 'ok', perSecond: p.ok * 10 },
    { t: p.t, series: 'failed/unknown', perSecond: (p.failed + p.unknown) * 10 },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Throughput per 100 ms (ops/s), faults shaded',
    width: 900,
    height: 260,
    layer: [
      faultLayer(report.faults, workloadStartMs),
      {
        data: { values },
        mark: { type: 'line', interpolate: 'step-after', strokeWidth: 1 },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds' },
          y: { field: 'perSecond', type: 'quantitative', title: 'ops/s' },
          stroke: { field: 'series', type: 'nominal', scale: { range: ['#2b7', '#d33'] }, legend: { title: 'outcome' } },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  } as vegaLite.TopLevelSpec;
}

export function latencySpec(report: BenchReport, workloadStartMs: number): vegaLite.TopLevelSpec {
  const values = report.figures.latencyTimeline.flatMap((p) => [
    { t: p.t, series: 'p50', ms: Math.max(0.01, p.p50Ms) },
    { t: p.t, series: 'p99', ms: Math.max(0.01, p.p99Ms) },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Latency of successful operations per second (ms, log scale), faults shaded',
    width: 900,
    height: 260,
    layer: [
      faultLayer(report.faults, workloadStartMs),
      {
        data: { values },
        mark: { type: 'line', point: false },
        encoding: {
          x: { field: 't', type: 'quantitative', title: 'seconds' },
          y: { field: 'ms', type: 'quantitative', scale: { type: 'log' }, title: 'ms' },
          stroke: { field: 'series', type: 'nominal', legend: { title: 'percentile' } },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  } as vegaLite.TopLevelSpec;
}

export function distributionSpec(report: BenchReport): vegaLite.TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: 'Latency distribution of successful operations',
    width: 900,
    height: 200,
    data: { values: report.figures.latencyDistribution.map((b) => ({ bucket: `≤ ${b.upToMs} ms`, count: b.count, upTo: b.upToMs })) },
    mark: 'bar',
    encoding: {
      x: { field: 'bucket', type: 'ordinal', sort: { field: 'upTo' }, title: 'latency bucket' },
      y: { field: 'count', type: 'quantitative', title: 'operations' },
    },
  } as vegaLite.TopLevelSpec;
}

function escapeHtml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

export async function renderHtml(report: BenchReport, workloadStartMs: number): Promise<string> {
  const charts = await Promise.all([
    renderSvg(throughputSpec(report, workloadStartMs)),
    renderSvg(latencySpec(report, workloadStartMs)),
    renderSvg(distributionSpec(report)),
  ]);
  const summary = renderSummaryMarkdown(report);
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>holdfast bench: ${escapeHtml(report.target)} ${report.verdict.passed ? 'PASS' : 'FAIL'}</title>`,
    '<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1000px}',
    '.verdict{font-size:1.4em;font-weight:bold}.pass{color:#1a7f37}.fail{color:#c62828}',
    'pre{background:#f6f8fa;padding:1em;overflow:auto;font-size:0.85em}</style></head><body>',
    `<h1>holdfast bench: ${escapeHtml(report.target)}</h1>`,
    `<p class="verdict ${report.verdict.passed ? 'pass' : 'fail'}">Verdict: ${report.verdict.passed ? 'PASS' : 'FAIL'}</p>`,
    ...report.verdict.failures.map((f) => `<p>${escapeHtml(f)}</p>`),
    ...charts.map((svg) => `<figure>${svg}</figure>`),
    '<h2>Summary</h2>',
    `<pre>${escapeHtml(summary)}</pre>`,
    '</body></html>',
  ].join('\n');
}

export async function writeReports(options: { report: BenchReport; workloadStartMs: number; outDir: string }): Promise<void> {
  const { report, outDir } = options;
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(outDir, 'summary.md'), renderSummaryMarkdown(report));
  fs.writeFileSync(path.join(outDir, 'report.html'), await renderHtml(report, options.workloadStartMs));
}
