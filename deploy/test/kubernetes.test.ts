/**
 * Every manifest under deploy/kubernetes validates against the Kubernetes API schemas
 * (kubernetes-models: types, required fields, enums, formats), kustomization.yaml lists exactly
 * the manifests there are, the HOLDFAST_* variables they set are settings the node (or the start
 * script) reads, and the StatefulSet spreads members over zones and starts them through
 * member-start.mjs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configHelp } from '@holdfast/server';
import { StatefulSet } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ClusterRole, ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { ConfigMap, Service, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

const DIR = fileURLToPath(new URL('../kubernetes/', import.meta.url));
const REPO = fileURLToPath(new URL('../../', import.meta.url));

interface Validating {
  validate(): void;
}
type Model = new (data: never) => Validating;

/** The kinds the manifests may hold, by apiVersion/kind. */
const MODELS: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap as unknown as Model,
  'v1/Service': Service as unknown as Model,
  'v1/ServiceAccount': ServiceAccount as unknown as Model,
  'apps/v1/StatefulSet': StatefulSet as unknown as Model,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as Model,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole as unknown as Model,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding as unknown as Model,
};

type Doc = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } };

function manifests(): { file: string; doc: Doc }[] {
  const out: { file: string; doc: Doc }[] = [];
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')) {
    for (const document of parseAllDocuments(readFileSync(join(DIR, file), 'utf8'))) {
      expect(document.errors, `${file} parses`).toEqual([]);
      const doc = document.toJS() as Doc | null;
      if (doc) out.push({ file, doc });
    }
  }
  return out;
}

/** Validation errors of one manifest, or '' when the schema accepts it. */
function validationError(doc: Doc): string {
  const model = MODELS[`${doc.apiVersion}/${doc.kind}`];
  if (!model) return `no schema known for ${doc.apiVersion} ${doc.kind}`;
  try {
    new model(doc as never).validate();
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

const statefulSet = (): Doc => manifests().find(({ doc }) => doc.kind === 'StatefulSet')!.doc;

describe('the Kubernetes manifests', () => {
  it('each validate against the Kubernetes schemas', () => {
    const all = manifests();
    expect(all.map(({ doc }) => doc.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'PodDisruptionBudget', 'Service', 'Service', 'ServiceAccount', 'StatefulSet'].sort(),
    );
    const errors = all.map(({ file, doc }) => [`${file}: ${doc.kind} ${doc.metadata.name}`, validationError(doc)]).filter(([, error]) => error !== '');
    expect(errors).toEqual([]);
  });

  it('are checked for real: a wrong type or a missing field is refused', () => {
    const broken = structuredClone(statefulSet()) as Doc & { spec: Record<string, unknown> };
    broken.spec['replicas'] = 'three';
    expect(validationError(broken)).toContain('replicas');
    delete broken.spec['selector'];
    expect(validationError(broken)).toContain('selector');
  });

  it('are exactly what kustomization.yaml lists', () => {
    const kustomization = parseAllDocuments(readFileSync(join(DIR, 'kustomization.yaml'), 'utf8'))[0]?.toJS() as { resources: string[] };
    const files = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it('set only HOLDFAST_* variables that the node or the start script reads', () => {
    const nodeSettings = new Set([...configHelp().matchAll(/\[(HOLDFAST_[A-Z_]+)\]/g)].map((m) => m[1]));
    const script = readFileSync(join(DIR, 'member-start.mjs'), 'utf8');
    const text = readdirSync(DIR)
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => readFileSync(join(DIR, f), 'utf8'))
      .join('\n');
    const unknown = [...new Set(text.match(/HOLDFAST_[A-Z_]+/g))].filter((name) => !nodeSettings.has(name) && !script.includes(name));
    expect(unknown).toEqual([]);
  });

  it('spread members over zones, pass the node to read the zone from, and start through member-start.mjs', () => {
    const spec = statefulSet()['spec'] as { template: { spec: Record<string, unknown> } };
    const pod = spec.template.spec as {
      topologySpreadConstraints: { topologyKey: string; maxSkew: number }[];
      containers: { command: string[]; env: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] }[];
      serviceAccountName: string;
    };
    expect(pod.topologySpreadConstraints.map((c) => [c.topologyKey, c.maxSkew])).toContainEqual(['topology.kubernetes.io/zone', 1]);
    const container = pod.containers[0]!;
    expect(container.env.find((e) => e.name === 'NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('spec.nodeName');
    expect(container.command).toEqual(['node', 'deploy/kubernetes/member-start.mjs']);
    expect(existsSync(join(REPO, container.command[1]!))).toBe(true);
    expect(pod.serviceAccountName).toBe('holdfast');
  });
});
