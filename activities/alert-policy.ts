import { alertPolicyFromConfig } from '../alerts/config';
import type { AlertPolicy } from '../alerts/types';
import type { ActivityConfig } from './activity-config';
import type { MappingSet } from '../mappings/load';

/**
 * The alert policy of `alerts:`, with the console's public URL (`console.publicUrl`) the alerts link to.
 * `consolePages`: the ids the console serves a page for (its status is Annex A), when known.
 */
export function alertPolicyWithConsole(
  config: Pick<ActivityConfig, 'alerts' | 'console'>,
  consolePages?: ReadonlySet<string>,
): AlertPolicy {
  if (!config.alerts) throw new Error('alertPolicyWithConsole: no alerts configured');
  const configured = alertPolicyFromConfig(config.alerts);
  // Only with the Slack app configured is there anyone to answer a "Re-collect now" press.
  const policy = config.console?.slack !== undefined ? { ...configured, recollectButton: true } : configured;
  const url = config.console?.publicUrl;
  if (url === undefined) return policy;
  return { ...policy, consoleUrl: url, ...(consolePages !== undefined ? { consolePages } : {}) };
}

/** The console's pages: it shows the Annex A catalog's controls (its status is `status --catalog annex-a`). */
export function annexAIds(mappings: Pick<MappingSet, 'catalog'>): ReadonlySet<string> {
  return new Set(mappings.catalog.controls.map((c) => c.id));
}
