import type { Command } from 'commander';

/**
 * `--profile NAME`, as in the Temporal CLI: which profile of Temporal's TOML config file to use
 * (TEMPORAL_CONFIG_FILE, else ~/.config/temporalio/temporal.toml). It is TEMPORAL_PROFILE given on the
 * command line, so it is set as that variable: config/temporal-settings.ts reads it there, as do child
 * processes, and an explicit flag wins over an exported variable the way Temporal's flags win over env.
 */
export function addTemporalProfileOption(program: Command): void {
  program
    .option('--profile <name>', "Temporal config profile (TOML, as the Temporal CLI's --profile; or TEMPORAL_PROFILE)")
    .hook('preAction', (cmd) => {
      const profile = cmd.opts<{ profile?: string }>().profile;
      if (profile) process.env['TEMPORAL_PROFILE'] = profile;
    });
}
