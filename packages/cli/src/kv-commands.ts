import type { RangeSelector, TxnOpResult, TxnRequest, TxnResult } from '@holdfast/client';
import type { Command } from 'commander';
import { type CliIo, CommandContext, parseNonNegativeInteger, parsePositiveInteger } from './context.js';
import { KeyNotFoundError, UsageError } from './errors.js';
import { renderKeyValues } from './format.js';
import { parseTxnFlags, parseTxnJson } from './txn-syntax.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function addKvCommands(program: Command, io: CliIo): void {
  program
    .command('put')
    .description('write KEY = VALUE')
    .argument('<key>')
    .argument('<value>')
    .option('--if-absent', 'only if the key does not exist')
    .option('--if-mod-revision <n>', "only if the key's mod revision is N", parseNonNegativeInteger)
    .option('--prev-kv', 'print the previous value')
    .option('--lease <id>', 'attach the key to lease ID (deleted when it ends)', parsePositiveInteger)
    .option('--if-fence-at-least <token>', 'a fenced write: only if TOKEN is at least every token a fenced write of the key carried (e.g. $HOLDFAST_FENCE)', parsePositiveInteger)
    .action(async (key: string, value: string, options: PutFlags, command: Command) => {
      const context = new CommandContext(io, command);
      const result = await context.withClient((client) => client.put(key, value, putOptions(options)));
      const previous = result.prevKv === undefined ? '' : `\nprevious: ${result.prevKv.valueString()}`;
      context.print(result, `OK revision ${result.revision}${previous}`);
    });

  program
    .command('get')
    .description("print KEY's value (exit status 1 when the key does not exist)")
    .argument('<key>')
    .option('--serializable', 'read the answering replica, possibly stale, instead of through the leader')
    .option('--max-staleness-ms <n>', 'bounded staleness: every write acknowledged at least N ms earlier', parseNonNegativeInteger)
    .option('--rev <n>', 'the key as it was at revision N (the key history; below the compacted revision: an error)', parsePositiveInteger)
    .action(async (key: string, options: { serializable?: boolean; maxStalenessMs?: number; rev?: number }, command: Command) => {
      const context = new CommandContext(io, command);
      const consistency = options.serializable ? 'serializable' : 'linearizable';
      const bound = options.maxStalenessMs === undefined ? {} : { maxStalenessMs: options.maxStalenessMs };
      const atRevision = options.rev === undefined ? {} : { revision: options.rev };
      const kv = await context.withClient((client) => client.get(key, { consistency, ...bound, ...atRevision }));
      if (kv === undefined) {
        context.print({ found: false, key }, '');
        throw new KeyNotFoundError(`key '${key}' does not exist`);
      }
      context.print({ found: true, ...kv.toJSON() }, kv.valueString());
    });

  program
    .command('del')
    .alias('delete')
    .description('delete KEY; with --prefix every key starting with KEY, with --end every key in [KEY, END), at one revision')
    .argument('<key>')
    .option('--if-mod-revision <n>', "only if the key's mod revision is N", parseNonNegativeInteger)
    .option('--prev-kv', 'print the deleted value')
    .option('--prefix', 'delete every key starting with KEY (more than --delete-range-keys-max keys: refused, nothing deleted)')
    .option('--end <e>', 'delete every key in [KEY, E)')
    .action(async (key: string, options: { ifModRevision?: number; prevKv?: boolean; prefix?: boolean; end?: string }, command: Command) => {
      const context = new CommandContext(io, command);
      if (options.prefix === true || options.end !== undefined) {
        await deleteRange(context, { key, ...options });
        return;
      }
      const deleteOptions = {
        prevKv: options.prevKv === true,
        ...(options.ifModRevision === undefined ? {} : { ifModRevision: options.ifModRevision }),
      };
      const result = await context.withClient((client) => client.delete(key, deleteOptions));
      const previous = result.prevKv === undefined ? '' : `\nprevious: ${result.prevKv.valueString()}`;
      const human = result.deleted ? `deleted (revision ${result.revision})${previous}` : 'not found; nothing deleted';
      context.print(result, human);
    });

  program
    .command('compact')
    .description('drop the key history below revision REV on every member (reads at older revisions and watches from them are then refused)')
    .argument('<rev>', 'the oldest revision to keep', parsePositiveInteger)
    .action(async (revision: number, _options: unknown, command: Command) => {
      const context = new CommandContext(io, command);
      const result = await context.withClient((client) => client.compact(revision));
      context.print(result, `compacted: revisions below ${result.compactRevision} are gone`);
    });

  addRangeCommand(program, io);
  addTxnCommand(program, io);
  addWatchCommand(program, io);
}

async function deleteRange(context: CommandContext, flags: { key: string; prefix?: boolean; end?: string; prevKv?: boolean; ifModRevision?: number }): Promise<void> {
  if (flags.prefix === true && flags.end !== undefined) throw new UsageError('give either --prefix or --end, not both');
  if (flags.ifModRevision !== undefined) throw new UsageError('--if-mod-revision applies to one key, not to --prefix or --end');
  const selector = flags.prefix === true ? { prefix: flags.key } : { start: flags.key, end: flags.end ?? '' };
  const result = await context.withClient((client) => client.deleteRange(selector, { prevKv: flags.prevKv === true }));
  const previous = result.prevKvs.map((kv) => `\nprevious: ${kv.keyString()} = ${kv.valueString()}`).join('');
  const human = result.deleted > 0 ? `deleted ${result.deleted} keys (revision ${result.revision})${previous}` : 'no key in range; nothing deleted';
  context.print(result, human);
}

interface WatchFlags {
  prefix?: string;
  start?: string;
  end?: string;
  rev?: number;
  count?: number;
  prevKv?: boolean;
}

function addWatchCommand(program: Command, io: CliIo): void {
  program
    .command('watch')
    .description('print changes to keys as they are applied, until Ctrl-C (or --count changes); follows failovers')
    .option('--prefix <p>', 'every key starting with P')
    .option('--start <s>', 'first key (inclusive)')
    .option('--end <e>', 'end key (exclusive); without it, only the start key')
    .option('--rev <n>', 'start at revision N (default: from now), read from the key history; below the compacted revision: an error', parseNonNegativeInteger)
    .option('--count <n>', 'exit after N changes', parsePositiveInteger)
    .option('--prev-kv', 'print each key as it was before the change')
    .action(async (flags: WatchFlags, command: Command) => {
      const context = new CommandContext(io, command);
      const selector = rangeSelector(flags);
      await context.withClient(async (client) => {
        let listening = false;
        const watch = client.watch(selector, {
          ...(flags.rev === undefined ? {} : { startRevision: flags.rev }),
          ...(flags.prevKv === true ? { prevKv: true } : {}),
          // Once, so a reader knows from which revision on nothing will be missed.
          onListening: ({ nextRevision }) => {
            if (!listening) context.note(`holdfast: watching ${describeSelector(selector)} from revision ${nextRevision} on (Ctrl-C stops)`);
            listening = true;
          },
        });
        void io.waitForStopSignal().then(() => watch.close());
        let told = 0;
        for await (const batch of watch) {
          for (const event of batch.events) {
            const { kv, prevKv } = event;
            const data = {
              type: event.type,
              key: kv.keyString(),
              value: kv.valueString(),
              revision: kv.modRevision,
              createRevision: kv.createRevision,
              version: kv.version,
              ...(prevKv === undefined ? {} : { prevValue: prevKv.valueString(), prevRevision: prevKv.modRevision }),
            };
            const change = event.type === 'put' ? `put ${data.key} = ${data.value}  (revision ${data.revision})` : `delete ${data.key}  (revision ${data.revision})`;
            const human = prevKv === undefined ? change : `${change}  previous: ${prevKv.valueString()} (revision ${prevKv.modRevision})`;
            context.print(data, human);
            told += 1;
            if (flags.count !== undefined && told >= flags.count) {
              watch.close();
              return;
            }
          }
        }
      });
    });
}

interface PutFlags {
  ifAbsent?: boolean;
  ifModRevision?: number;
  prevKv?: boolean;
  lease?: number;
  ifFenceAtLeast?: number;
}

function putOptions(flags: PutFlags): { ifAbsent: boolean; prevKv: boolean; ifModRevision?: number; lease?: number; ifFenceAtLeast?: number } {
  return {
    ifAbsent: flags.ifAbsent === true,
    prevKv: flags.prevKv === true,
    ...(flags.ifModRevision === undefined ? {} : { ifModRevision: flags.ifModRevision }),
    ...(flags.lease === undefined ? {} : { lease: flags.lease }),
    ...(flags.ifFenceAtLeast === undefined ? {} : { ifFenceAtLeast: flags.ifFenceAtLeast }),
  };
}

interface RangeFlags {
  prefix?: string;
  start?: string;
  end?: string;
  limit?: number;
  keysOnly?: boolean;
  serializable?: boolean;
  maxStalenessMs?: number;
  all?: boolean;
  rev?: number;
}

function describeSelector(selector: RangeSelector): string {
  if ('prefix' in selector) return `keys starting with '${String(selector.prefix)}'`;
  return selector.end === undefined ? `key '${String(selector.start)}'` : `keys from '${String(selector.start)}' to '${String(selector.end)}'`;
}

export function rangeSelector(flags: RangeFlags): RangeSelector {
  if (flags.prefix !== undefined) {
    if (flags.start !== undefined || flags.end !== undefined) {
      throw new UsageError('give either --prefix or --start/--end, not both');
    }
    return { prefix: flags.prefix };
  }
  if (flags.start === undefined) throw new UsageError('range needs --prefix P or --start S [--end E]');
  return flags.end === undefined ? { start: flags.start } : { start: flags.start, end: flags.end };
}

function addRangeCommand(program: Command, io: CliIo): void {
  program
    .command('range')
    .description('list keys by prefix or in [start, end)')
    .option('--prefix <p>', 'every key starting with P')
    .option('--start <s>', 'first key (inclusive)')
    .option('--end <e>', 'end key (exclusive); without it, only the start key')
    .option('--limit <n>', 'keys per page (default: the server limit)', parseNonNegativeInteger)
    .option('--keys-only', 'print keys without values')
    .option('--all', 'follow continuations until every key in range is printed')
    .option('--serializable', 'read the answering replica, possibly stale')
    .option('--max-staleness-ms <n>', 'bounded staleness: every write acknowledged at least N ms earlier', parseNonNegativeInteger)
    .option('--rev <n>', 'the keys as they were at revision N (the key history; below the compacted revision: an error)', parsePositiveInteger)
    .action(async (flags: RangeFlags, command: Command) => {
      const context = new CommandContext(io, command);
      const selector = rangeSelector(flags);
      const options = {
        keysOnly: flags.keysOnly === true,
        consistency: flags.serializable ? ('serializable' as const) : ('linearizable' as const),
        ...(flags.limit === undefined ? {} : { limit: flags.limit }),
        ...(flags.maxStalenessMs === undefined ? {} : { maxStalenessMs: flags.maxStalenessMs }),
        ...(flags.rev === undefined ? {} : { revision: flags.rev }),
      };
      await context.withClient(async (client) => {
        if (flags.all) {
          const kvs = [];
          for await (const kv of client.rangeAll(selector, options)) kvs.push(kv);
          context.print({ kvs, more: false }, renderKeyValues(kvs, options));
          return;
        }
        const page = await client.range(selector, options);
        context.print({ kvs: page.kvs, more: page.more, continuation: page.continuation }, renderKeyValues(page.kvs, options));
        if (page.more) context.note('(more keys in range: use --all, or a larger --limit)');
      });
    });
}

function addTxnCommand(program: Command, io: CliIo): void {
  program
    .command('txn')
    .description('an atomic transaction: if every --if holds, run the --then operations, else the --else ones')
    .option('--if <compare>', "'KEY TARGET OP ARG', TARGET: value|version|mod_revision|create_revision", collect)
    .option('--then <op>', "'put KEY VALUE' | 'get KEY' | 'del KEY'", collect)
    .option('--else <op>', "'put KEY VALUE' | 'get KEY' | 'del KEY'", collect)
    .option('--stdin', 'read the transaction as JSON from stdin instead ({"if": [...], "then": [...], "else": [...]})')
    .addHelpText(
      'after',
      `
Examples:
  holdfast txn --if 'config mod_revision = 5' --then 'put config v2' --else 'get config'
  holdfast txn --if 'lock version = 0' --then 'put lock me'
  echo '{"if": ["k value = a"], "then": ["put k b"], "else": ["get k"]}' | holdfast txn --stdin`,
    )
    .action(async (flags: { if?: string[]; then?: string[]; else?: string[]; stdin?: boolean }, command: Command) => {
      const context = new CommandContext(io, command);
      const hasFlags = flags.if !== undefined || flags.then !== undefined || flags.else !== undefined;
      if (flags.stdin && hasFlags) throw new UsageError('give the transaction as flags or on stdin, not both');
      if (!flags.stdin && !hasFlags) throw new UsageError('txn needs --if/--then/--else flags or --stdin');
      const request: TxnRequest = flags.stdin
        ? parseTxnJson(await io.readStdin())
        : parseTxnFlags({ compares: flags.if ?? [], successOps: flags.then ?? [], failureOps: flags.else ?? [] });
      const result = await context.withClient((client) => client.txn(request));
      context.print(result, renderTxnResult(result));
    });
}

function renderTxnOpResult(result: TxnOpResult): string {
  switch (result.type) {
    case 'put':
      return `put: revision ${result.revision}`;
    case 'get':
      return result.kv === undefined ? 'get: (not found)' : `get: ${result.kv.keyString()} = ${result.kv.valueString()}`;
    case 'delete':
      return result.deleted ? `del: deleted (revision ${result.revision})` : 'del: not found';
  }
}

export function renderTxnResult(result: TxnResult): string {
  const branch = result.succeeded ? 'SUCCEEDED (then branch ran)' : 'FAILED (else branch ran)';
  return [`${branch} at revision ${result.revision}`, ...result.results.map(renderTxnOpResult)].join('\n');
}
