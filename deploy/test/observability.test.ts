/**
 * The Grafana dashboard and the Prometheus alert rules under deploy/observability use only metrics
 * a real node exports: a one-member cluster is started, /metrics scraped, and every metric name in
 * every expression (parsed as PromQL) must be among the scraped ones. A failure lists the missing
 * names with where they are used.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, LocalCluster } from '@holdfast/server';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const DIR = fileURLToPath(new URL('../observability/', import.meta.url));
/** Series Prometheus itself records for every scrape target, not exported by the node. */
const PROMETHEUS_SERIES = new Set(['up']);

interface Use {
  readonly where: string;
  readonly expr: string;
}

function dashboardExpressions(): Use[] {
  const dashboard = JSON.parse(readFileSync(join(DIR, 'grafana-dashboard.json'), 'utf8')) as {
    panels: { title: string; targets: { expr: string }[] }[];
    templating: { list: { name: string; query?: string | { query: string } }[] };
  };
  const uses: Use[] = [];
  for (const panel of dashboard.panels) for (const target of panel.targets) uses.push({ where: `dashboard panel "${panel.title}"`, expr: target.expr });
  for (const variable of dashboard.templating.list) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const inner = query && /^label_values\((.+),\s*\w+\)$/.exec(query)?.[1];
    if (inner) uses.push({ where: `dashboard variable $${variable.name}`, expr: inner });
  }
  return uses;
}

function ruleExpressions(): Use[] {
  const file = parse(readFileSync(join(DIR, 'alerts.yaml'), 'utf8')) as { groups: { name: string; rules: { alert: string; expr: string; for?: string }[] }[] };
  return file.groups.flatMap((group) => group.rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })));
}

/** Grafana's variables, replaced by values PromQL accepts. */
function withoutVariables(expr: string): string {
  return expr.replace(/\$__\w+/g, '5m').replace(/\$\{?\w+\}?/g, 'x');
}

/** The metric names an expression selects; throws when it is not valid PromQL. */
function metricNames(expr: string): string[] {
  const text = withoutVariables(expr);
  const tree = parser.parse(text);
  const names: string[] = [];
  const errors: number[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) errors.push(node.from);
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') names.push(text.slice(node.from, node.to));
    },
  });
  if (errors.length > 0) throw new Error(`not valid PromQL at offset ${errors[0]}: ${expr}`);
  return names;
}

/** Every series name a Prometheus scrape of `text` yields (histograms: _bucket, _sum, _count). */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name = '', kind] = type;
      names.add(name);
      if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
      if (kind === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (sample?.[1]) names.add(sample[1]);
  }
  return names;
}

describe('the dashboard and alert rules', () => {
  const root = mkdtempSync(join(tmpdir(), 'holdfast-observability-'));
  let cluster: LocalCluster;
  let metricsPort = 0;
  let scraped = new Set<string>();

  beforeAll(async () => {
    metricsPort = await freePort();
    cluster = await LocalCluster.start({ dataDir: root, size: 1, extraArgs: () => ['--metrics-listen', `127.0.0.1:${metricsPort}`] });
    await cluster.waitForLeader(30_000);
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(response.status).toBe(200);
    scraped = exportedNames(await response.text());
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('cover the alerts an operator needs', () => {
    const rules = ruleExpressions();
    const used = (name: string): boolean => rules.some((r) => metricNames(r.expr).includes(name));
    for (const name of ['holdfast_has_leader', 'holdfast_peer_reachable', 'holdfast_fsync_seconds_bucket', 'holdfast_store_bytes_max', 'holdfast_state_hash_mismatch']) {
      expect(used(name), `an alert uses ${name}`).toBe(true);
    }
  });

  it('are valid PromQL, each selecting at least one metric', () => {
    for (const use of [...dashboardExpressions(), ...ruleExpressions()]) {
      expect(metricNames(use.expr).length, `${use.where}: ${use.expr}`).toBeGreaterThan(0);
    }
  });

  it('use only metrics a running node exports', () => {
    expect(scraped.has('holdfast_has_leader')).toBe(true);
    const missing = [...dashboardExpressions(), ...ruleExpressions()].flatMap((use) =>
      metricNames(use.expr)
        .filter((name) => !scraped.has(name) && !PROMETHEUS_SERIES.has(name))
        .map((name) => `${name} (${use.where})`),
    );
    expect(missing, `metrics used but not exported by the node:\n${missing.join('\n')}`).toEqual([]);
  });

  it('would notice a metric the node does not export', () => {
    expect(metricNames('rate(holdfast_no_such_metric_total[5m]) > 0').filter((name) => !scraped.has(name))).toEqual(['holdfast_no_such_metric_total']);
  });
});
