import { existsSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { type CliIo, CommandContext } from './context.js';
import { UsageError } from './errors.js';
import { loadServerModule } from './server-module.js';

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
    .action(async (file: string, options: { force?: boolean }, command: Command) => {
      const context = new CommandContext(io, command);
      const target = resolve(io.cwd, file);
      if (existsSync(target) && options.force !== true) throw new UsageError(`${file} exists; pass --force to replace it`);
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
