import type { Logger } from 'pino';
import type { AlertsConfig } from '../alerts/config';
import { operationsMessage, operationsRoute, type OperationsNotice } from '../alerts/operations';
import type { SlackNotifier } from '../alerts/slack-notifier';

export type { OperationsNotice } from '../alerts/operations';

/** What the operations activity needs; a subset of the worker's ActivityDeps. */
export interface OperationsDeps {
  config: { alerts?: AlertsConfig | undefined };
  notifier?: SlackNotifier;
  log: Logger;
}

/**
 * `notifyOperations`: a sweep that stopped on a fault of the hub itself (the store) reports it here, to
 * the operations route, never to control owners. Logged always; posted when alerts are configured.
 */
export function createOperationsActivities(deps: OperationsDeps) {
  return {
    async notifyOperations(notice: OperationsNotice): Promise<{ posted: boolean }> {
      deps.log.error({ notice }, 'operations fault');
      if (!deps.config.alerts || !deps.notifier) return { posted: false };
      await deps.notifier.post(operationsMessage(notice, operationsRoute(deps.config.alerts)));
      return { posted: true };
    },
  };
}
