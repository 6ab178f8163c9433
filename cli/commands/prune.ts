import type { Command } from 'commander';
import { parseDuration } from '../../core/duration';
import { prune } from '../../evidence/retention';
import { assertCurrentSigner } from '../../evidence/trust/signer-check';
import { loadHub, loadSigningKey } from '../../worker/hub';
import { configOption, parseDateArg, storeOption, storeOverrides, type CommandContext } from '../command-kit';

/**
 * `evidence-hub prune --before DATE`: deletes the blobs of old bundles, leaving signed tombstones. A prune
 * the retention settings refuse throws RetentionRefused (exit code 2).
 */
export function registerPrune(program: Command, { io, log }: CommandContext): void {
  program
    .command('prune')
    .description('delete evidence blobs of bundles sealed before a date, leaving signed tombstones (manifests stay)')
    .requiredOption('--before <date>', 'prune bundles sealed before this date')
    .option('--dry-run', 'report what would be deleted, delete nothing')
    .addOption(configOption())
    .addOption(storeOption())
    .option('--json', 'print JSON')
    .action(async (o) => {
      const hub = await loadHub(o.config, storeOverrides(o));
      const key = await loadSigningKey(hub.config, log);
      // Tombstones are signed like bundles: only by the store's current (and, when pinned, trusted) key.
      await assertCurrentSigner(hub.store, key, hub.config.signing.trustedKeys ?? []);
      const report = await prune(hub.store, key, {
        before: parseDateArg(o.before, 'start', '--before'),
        lookBackMs: parseDuration(hub.config.retention.lookBack)!,
        dryRun: Boolean(o.dryRun),
      });
      if (o.json) io.out(JSON.stringify(report, null, 2));
      else
        io.out(
          `${report.dryRun ? 'would prune' : 'pruned'} ${report.blobsDeleted.length} blob(s), ${report.bytesFreed} bytes, from ${report.bundles.length} bundle(s) sealed before ${report.before}; ${report.blobsKept} blob(s) still used by newer bundles kept`,
        );
    });
}
