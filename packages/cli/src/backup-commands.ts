import { existsSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type CliIo, CommandContext, parsePositiveInteger } from './context.js';
import { UsageError } from './errors.js';
import { loadServerModule } from './server-module.js';

/** `backup save --data-dir`: the stopped member's state up to the commit index it knew, checked after writing. */
async function saveFromDataDir(context: CommandContext, options: { dataDir: string; file: string }): Promise<void> {
  const { backupStoppedMember } = await loadServerModule();
  const saved = await backupStoppedMember(options);
  context.print(
    { event: 'backup', ...saved },
    [
      `saved a backup of ${options.dataDir} at revision ${saved.revision} (log index ${saved.appliedIndex}, the commit index the member knew: ${saved.commitIndex}) to ${saved.file}`,
      `checked: ${saved.keys} key${saved.keys === 1 ? '' : 's'}, ${saved.pairs} records, ${saved.bytes} bytes in ${saved.chunks} chunks`,
    ].join('\n'),
  );
}

/**
 * `holdfast backup save FILE`: the whole store from the member that answers (after a read
 * barrier: every write acknowledged before the command is in it), written to FILE.partial,
 * synced, then renamed to FILE, so FILE is only ever a complete backup.
 */
export function addBackupCommands(program: Command, io: CliIo): void {
  const backup = program.command('backup').description('backups of the whole store, to seed a new cluster from');
  backup
    .command('save')
    .description('write a backup of the whole store to FILE (restore: holdfast node --restore-backup FILE)')
    .argument('<file>')
    .option('--force', 'replace FILE if it exists')
    .option('--data-dir <dir>', "from a stopped member's data directory instead of a running cluster (no quorum needed)")
    .action(async (file: string, options: { force?: boolean; dataDir?: string }, command: Command) => {
      const context = new CommandContext(io, command);
      const target = resolve(io.cwd, file);
      if (existsSync(target) && options.force !== true) throw new UsageError(`${file} exists; pass --force to replace it`);
      if (options.dataDir !== undefined) {
        await saveFromDataDir(context, { dataDir: resolve(io.cwd, options.dataDir), file: target });
        return;
      }
      const partial = `${target}.partial`;
      const saved = await context.withClient(async (client) => {
        const started = await client.backup();
        const handle = await open(partial, 'w');
        let bytes = 0;
        let chunks = 0;
        try {
          for await (const chunk of started.chunks) {
            await handle.write(chunk);
            bytes += chunk.byteLength;
            chunks += 1;
          }
          await handle.sync();
        } catch (error) {
          await handle.close();
          await rm(partial, { force: true });
          throw error;
        }
        await handle.close();
        return { revision: started.revision, memberId: started.memberId, bytes, chunks };
      });
      await rename(partial, target);
      context.print(
        { event: 'backup', file: target, ...saved },
        `saved a backup at revision ${saved.revision} from member ${saved.memberId}: ${saved.bytes} bytes in ${saved.chunks} chunks to ${target}`,
      );
    });
  backup
    .command('info')
    .description('check a backup file as a restore would (every chunk, the trailer) and describe it')
    .argument('<file>')
    .action(async (file: string, _options: object, command: Command) => {
      const context = new CommandContext(io, command);
      const { inspectBackup } = await loadServerModule();
      const summary = await inspectBackup(resolve(io.cwd, file));
      const members = summary.members.map((m) => `${m.id}=${m.name}${m.learner ? ' (learner)' : ''}`).join(', ');
      context.print(
        { file, ...summary },
        [
          `${file}: a complete backup`,
          `revision ${summary.revision}, ${summary.keys} key${summary.keys === 1 ? '' : 's'} (${summary.keyValueBytes} bytes of keys and values), ${summary.pairs} records, ${summary.bytes} bytes in ${summary.chunks} chunks`,
          `taken at log index ${summary.appliedIndex}; members then: ${members === '' ? '-' : members}`,
        ].join('\n'),
      );
    });
}

/**
 * `holdfast recover --data-dir D --force-new-cluster`: a stopped survivor of a lost quorum
 * becomes a one-member cluster under a new cluster id epoch (docs/operations.md).
 */
export function addRecoverCommand(program: Command, io: CliIo): void {
  program
    .command('recover')
    .description("turn a stopped member's data into a one-member cluster after the quorum was lost for good (with --force-new-cluster)")
    .requiredOption('--data-dir <dir>', "the stopped survivor's data directory")
    .option('--force-new-cluster', 'required: the other members are gone for good and must never run again')
    .option('--id <id>', 'the member id, when the data dir does not record it (written by an older release)', parsePositiveInteger)
    .option('--cluster-id <id>', 'the cluster id it ran under, when the data dir does not record it')
    .option('--new-cluster-id <id>', 'the new cluster id (default: the old one with its epoch one higher, prod-kv -> prod-kv@2)')
    .action(async (options: { dataDir: string; forceNewCluster?: boolean; id?: number; clusterId?: string; newClusterId?: string }, command: Command) => {
      const context = new CommandContext(io, command);
      if (options.forceNewCluster !== true) {
        throw new UsageError('recover needs --force-new-cluster: it makes this member a cluster of its own, and every other member must stay stopped for good');
      }
      const { recoverForceNewCluster } = await loadServerModule();
      const result = await recoverForceNewCluster({
        dataDir: resolve(io.cwd, options.dataDir),
        ...(options.id === undefined ? {} : { memberId: options.id }),
        ...(options.clusterId === undefined ? {} : { clusterId: options.clusterId }),
        ...(options.newClusterId === undefined ? {} : { newClusterId: options.newClusterId }),
      });
      const uncommitted = result.lastIndexBefore - result.commitIndexBefore;
      context.print(
        { event: 'recovered', ...result },
        [
          `member ${result.memberId} is now a cluster of its own: cluster id ${result.newClusterId} (was ${result.oldClusterId})`,
          `kept every entry it held, through index ${result.lastIndexBefore} (it knew ${result.commitIndexBefore} committed; ${uncommitted} more kept and committed now)`,
          `removed members: ${result.removed.join(', ') || '-'}; new term ${result.term}, commit ${result.commitIndex}`,
          `next: start it with --cluster-id ${result.newClusterId} and its usual flags, then add members with holdfast members add / promote (new members also use --cluster-id ${result.newClusterId})`,
        ].join('\n'),
      );
    });
}
