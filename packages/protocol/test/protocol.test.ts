import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { ERROR_KIND_STATUS, isErrorKind, loadProtos, PROTO_DIR } from '../src/index.js';

const packageRoot = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

function filesBelow(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesBelow(full).map((inner) => path.join(name, inner)) : [name];
  });
}

describe('generated types', () => {
  const fresh = mkdtempSync(path.join(tmpdir(), 'holdfast-protocol-'));
  afterAll(() => rmSync(fresh, { recursive: true, force: true }));

  it('match the contracts in proto/ (run `npm run generate -w @holdfast/protocol` after changing them)', () => {
    execFileSync(process.execPath, [path.join(packageRoot, 'scripts/generate.mjs'), fresh], { stdio: 'pipe' });
    const committed = path.join(packageRoot, 'src/generated');
    const files = filesBelow(fresh).sort();
    expect(filesBelow(committed).sort()).toEqual(files);
    for (const file of files) {
      expect(readFileSync(path.join(committed, file), 'utf8'), file).toBe(readFileSync(path.join(fresh, file), 'utf8'));
    }
  });
});

describe('loadProtos', () => {
  it('loads every service with its methods', () => {
    const protos = loadProtos();
    expect(Object.keys(protos.kv).sort()).toEqual([
      'Batch',
      'Compact',
      'Delete',
      'Get',
      'LeaseGrant',
      'LeaseKeepAlive',
      'LeaseKeepAliveStream',
      'LeaseList',
      'LeaseRevoke',
      'LeaseTimeToLive',
      'Put',
      'Range',
      'Txn',
      'Watch',
    ]);
    expect(Object.keys(protos.raft).sort()).toEqual(['SendSnapshot', 'Stream']);
    expect(Object.keys(protos.cluster)).toContain('TransferLeadership');
    expect(loadProtos()).toBe(protos);
  });

  it('decodes as the __Output types say: every scalar present, longs as numbers, enums as names', () => {
    const { definition } = loadProtos();
    const put = definition['holdfast.v1.KV']?.['Put' as never] as unknown as grpc.MethodDefinition<object, object>;
    const bytes = put.requestSerialize({ key: Buffer.from('k') });
    expect(put.requestDeserialize(bytes)).toEqual({
      key: Buffer.from('k'),
      value: Buffer.alloc(0),
      ifAbsent: false,
      ifModRevision: 0,
      prevKv: false,
      session: null,
      lease: 0,
      ifFenceAtLeast: 0,
    });
    const get = definition['holdfast.v1.KV']?.['Get' as never] as unknown as grpc.MethodDefinition<object, object>;
    expect(get.requestDeserialize(get.requestSerialize({ key: Buffer.from('k'), consistency: 'SERIALIZABLE' }))).toMatchObject({
      consistency: 'SERIALIZABLE',
    });
  });
});

describe('error kinds', () => {
  it('are the table at the top of kv.proto, with the same gRPC statuses', () => {
    const proto = readFileSync(path.join(PROTO_DIR, 'holdfast/v1/kv.proto'), 'utf8');
    const table = new Map<string, string>();
    for (const match of proto.matchAll(/^\/\/ {3}([a-z-]+) +([A-Z_]+)\b/gm)) table.set(match[1]!, match[2]!);
    expect(table.size).toBeGreaterThan(0);
    const ours = new Map(Object.entries(ERROR_KIND_STATUS).map(([kind, code]) => [kind, grpc.status[code]]));
    expect(ours).toEqual(table);
  });

  it('isErrorKind knows exactly the table', () => {
    expect(isErrorKind('not-leader')).toBe(true);
    expect(isErrorKind('toString')).toBe(false);
    expect(isErrorKind('')).toBe(false);
  });
});
