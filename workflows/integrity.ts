import { proxyActivities } from '@temporalio/workflow';
import type { Activities, IntegritySummary } from '../activities';
import { integrityOptions } from './activity-options';

const { verifyIntegrity } = proxyActivities<Activities>(integrityOptions);

export interface IntegrityInput {
  /** Re-hash every blob instead of only those of bundles sealed since the last verified one. */
  full?: boolean;
}

export function integrityWorkflowId(taskQueue: string, full: boolean): string {
  return `evidence-hub.${taskQueue}.integrity${full ? '-full' : ''}`;
}

/**
 * The integrity monitor, started by its Temporal Schedules (worker/schedules.ts): daily incremental, weekly
 * full. The activity records the result in the store (for `evidence-hub monitor`) and alerts in Slack; the
 * workflow returns the counts. A failed verification is a result, not a workflow failure.
 */
export async function integrityWorkflow(input: IntegrityInput = {}): Promise<IntegritySummary> {
  return verifyIntegrity({ full: input.full ?? false });
}
