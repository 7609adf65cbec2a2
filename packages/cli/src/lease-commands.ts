/** `holdfast lease ...`, `holdfast lock NAME [-- command ...]` and `holdfast elect NAME [VALUE]`. */
import { spawn } from 'node:child_process';
import type { HoldfastClient, LockHolder } from '@holdfast/client';
import type { Command } from 'commander';
import { type CliIo, CommandContext, parsePositiveInteger } from './context.js';
import { ChildExitError, UsageError } from './errors.js';

/** A TTL as seconds (`10`, `10s`) or milliseconds (`500ms`). */
export function parseTtlMs(text: string): number {
  const match = /^(\d+)(ms|s)?$/.exec(text.trim());
  if (match === null) throw new UsageError(`expected a TTL such as 10, 10s or 500ms, got '${text}'`);
  const value = Number(match[1]) * (match[2] === 'ms' ? 1 : 1000);
  if (!Number.isSafeInteger(value) || value < 1) throw new UsageError(`expected a positive TTL, got '${text}'`);
  return value;
}

export function addLeaseCommands(program: Command, io: CliIo): void {
  const lease = program.command('lease').description('leases: keys attached to one are deleted when it expires or is revoked');
  lease
    .command('grant')
    .description('grant a lease of TTL (seconds, or 500ms); prints its id')
    .argument('<ttl>', 'TTL: 10, 10s or 500ms', parseTtlMs)
    .action(async (ttlMs: number, _options: object, command: Command) => {
      const context = new CommandContext(io, command);
      const granted = await context.withClient((client) => client.lease.grant(ttlMs));
      context.print({ id: granted.id, ttlMs: granted.ttlMs }, `lease ${granted.id} granted with TTL ${granted.ttlMs} ms`);
    });
  lease
    .command('keepalive')
    .description('keep lease ID alive until Ctrl-C over the keepalive stream (or once with --once, a single call)')
    .argument('<id>', 'lease id', parsePositiveInteger)
    .option('--once', 'one keepalive, then exit')
    .action(async (id: number, options: { once?: boolean }, command: Command) => {
      const context = new CommandContext(io, command);
      await context.withClient(async (client) => {
        if (options.once === true) {
          const { ttlMs } = await client.lease.keepAliveOnce(id);
          context.print({ id, ttlMs }, `lease ${id} kept alive, TTL ${ttlMs} ms`);
          return;
        }
        const stream = await client.lease.keepAlive(id);
        void io.waitForStopSignal().then(() => stream.close());
        for await (const ack of stream) context.print({ id, ttlMs: ack.ttlMs, validUntilMs: ack.validUntilMs }, `lease ${id} kept alive, TTL ${ack.ttlMs} ms`);
      });
    });
  lease
    .command('revoke')
    .description('end lease ID now, deleting its keys')
    .argument('<id>', 'lease id', parsePositiveInteger)
    .action(async (id: number, _options: object, command: Command) => {
      const context = new CommandContext(io, command);
      const revoked = await context.withClient((client) => client.lease.revoke(id));
      context.print({ id, keysDeleted: revoked.keysDeleted, revision: revoked.revision }, `lease ${id} revoked; ${revoked.keysDeleted} keys deleted (revision ${revoked.revision})`);
    });
  lease
    .command('ttl')
    .description("print lease ID's TTL and what is left of it (by the leader's clock)")
    .argument('<id>', 'lease id', parsePositiveInteger)
    .option('--keys', 'also list the keys attached')
    .action(async (id: number, options: { keys?: boolean }, command: Command) => {
      const context = new CommandContext(io, command);
      const ttl = await context.withClient((client) => client.lease.timeToLive(id, { keys: options.keys === true }));
      const keys = ttl.keys.map((key) => Buffer.from(key).toString());
      const human = `lease ${id}: TTL ${ttl.ttlMs} ms, ${ttl.remainingMs} ms left${options.keys === true ? `, keys: ${keys.join(', ') || '(none)'}` : ''}`;
      context.print({ id, ttlMs: ttl.ttlMs, remainingMs: ttl.remainingMs, ...(options.keys === true ? { keys } : {}) }, human);
    });
  lease
    .command('list')
    .description('every lease held, with its TTL and number of keys')
    .action(async (_options: object, command: Command) => {
      const context = new CommandContext(io, command);
      const leases = await context.withClient((client) => client.lease.list());
      if (context.json) for (const item of leases) context.print(item, '');
      else context.print(leases, leases.map((item) => `${item.id}\tTTL ${item.ttlMs} ms\t${item.keys} keys`).join('\n') || '(no leases)');
    });
  addLockCommand(program, io);
  addElectCommand(program, io);
}

function addLockCommand(program: Command, io: CliIo): void {
  program
    .command('lock')
    .description('take the lock NAME; run COMMAND while holding it (its fencing token in HOLDFAST_FENCE), or hold it until Ctrl-C')
    .argument('<name>')
    .argument('[command...]', 'after --: the command to run while holding the lock')
    .option('--ttl <ttl>', "TTL of the lock's lease (a dead holder's lock is freed after it)", parseTtlMs, 10_000)
    .action(async (name: string, commandLine: string[], options: { ttl: number }, command: Command) => {
      const context = new CommandContext(io, command);
      await context.withClient(async (client) => {
        const holder = await client.lock(name, { ttlMs: options.ttl });
        context.note(`holdfast: holding lock ${name} (key ${Buffer.from(holder.key).toString()}, fencing token ${holder.token})`);
        try {
          if (commandLine.length === 0) {
            context.print({ name, key: Buffer.from(holder.key).toString(), token: holder.token }, `${holder.token}`);
            const lost = await Promise.race([io.waitForStopSignal().then(() => undefined), holder.lost]);
            if (lost !== undefined) throw lost;
            return;
          }
          const status = await runHolding(commandLine, holder, name);
          if (status !== 0) throw new ChildExitError(status, `${commandLine[0]} exited with status ${status}`);
        } finally {
          await holder.release();
        }
      });
    });
}

/** Runs the command with the token in its environment; stops it (SIGTERM) if the lock is lost. */
async function runHolding(commandLine: readonly string[], holder: LockHolder, name: string): Promise<number> {
  const [file, ...args] = commandLine;
  if (file === undefined) throw new UsageError('lock: no command after --');
  const child = spawn(file, args, {
    stdio: 'inherit',
    env: { ...process.env, HOLDFAST_FENCE: String(holder.token), HOLDFAST_LOCK_KEY: Buffer.from(holder.key).toString(), HOLDFAST_LOCK_NAME: name },
  });
  let lost = false;
  void holder.lost.then(() => {
    lost = true;
    child.kill('SIGTERM');
  });
  const status = await new Promise<number>((resolveStatus, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolveStatus(code ?? (signal === null ? 1 : 128)));
  });
  if (lost) throw new ChildExitError(1, `lock ${name} was lost while ${file} ran: it was stopped`);
  return status;
}

function addElectCommand(program: Command, io: CliIo): void {
  program
    .command('elect')
    .description('campaign in election NAME with VALUE and lead until Ctrl-C; without VALUE, print each leader as it changes')
    .argument('<name>')
    .argument('[value]')
    .option('--ttl <ttl>', "TTL of the candidate's lease", parseTtlMs, 10_000)
    .action(async (name: string, value: string | undefined, options: { ttl: number }, command: Command) => {
      const context = new CommandContext(io, command);
      await context.withClient(async (client) => {
        if (value === undefined) {
          await observeLeaders(client, name, context, io);
          return;
        }
        const election = client.election(name, { ttlMs: options.ttl });
        const leader = await election.campaign(value);
        context.print({ name, value, token: leader.createRevision }, `leading ${name} with ${value} (token ${leader.createRevision})`);
        try {
          const lost = await Promise.race([io.waitForStopSignal().then(() => undefined), election.lost ?? new Promise<undefined>(() => {})]);
          if (lost !== undefined) throw lost;
        } finally {
          await election.resign();
        }
      });
    });
}

async function observeLeaders(client: HoldfastClient, name: string, context: CommandContext, io: CliIo): Promise<void> {
  const abort = new AbortController();
  void io.waitForStopSignal().then(() => abort.abort());
  try {
    for await (const leader of client.election(name).observe({ signal: abort.signal })) {
      if (leader === undefined) context.print({ name, leader: null }, '(no leader)');
      else context.print({ name, value: Buffer.from(leader.value).toString(), token: leader.createRevision }, Buffer.from(leader.value).toString());
    }
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  }
}
