import { alertPolicyFromConfig } from '../alerts/config';
import type { AlertPolicy } from '../alerts/types';
import type { ActivityConfig } from './activity-config';

/** The alert policy of `alerts:`, with the console's public URL (`console.publicUrl`) the alerts link to. */
export function alertPolicyWithConsole(config: Pick<ActivityConfig, 'alerts' | 'console'>): AlertPolicy {
  if (!config.alerts) throw new Error('alertPolicyWithConsole: no alerts configured');
  const policy = alertPolicyFromConfig(config.alerts);
  const url = config.console?.publicUrl;
  return url !== undefined ? { ...policy, consoleUrl: url } : policy;
}
