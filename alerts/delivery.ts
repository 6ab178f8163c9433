import type { JsonValue } from '../core/json';
import type { AlertStateStore } from '../evidence/alert-state';
import type { ControlResult } from '../mappings/evaluate';
import { recordIdsFor, type DecidingRecord } from './details';
import { planAlerts } from './engine';
import { parseAlertState, recordDeliveries } from './state';
import type { AlertPolicy, AlertState, Delivery, PlannedMessage } from './types';

/** What delivering needs from a notifier (SlackNotifier, or a fake in tests). */
export interface AlertNotifier {
  deliver(
    messages: readonly PlannedMessage[],
    state: Pick<AlertState, 'posted'>,
    onDelivered?: (d: Delivery) => Promise<void> | void,
  ): Promise<Delivery[]>;
}

/** Per status, how many controls have it; statuses no control has are left out. */
export function countStatuses(results: readonly ControlResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
}

/**
 * One monitor run: plans the transitions since the stored state and posts them. The state is saved after
 * every post, so a retry never posts a message twice; see docs/alerts.md for the remaining
 * at-least-once window.
 */
export async function deliverAlerts(input: {
  results: readonly ControlResult[];
  now: Date;
  policy: AlertPolicy;
  notifier: AlertNotifier;
  store: AlertStateStore;
  /**
   * Reads the deciding records (by artifact id) for the alerts' links and owners (details.ts). Asked only
   * when there is something to post, for the controls posted about; without it alerts have neither.
   */
  records?: (artifactIds: string[]) => Promise<ReadonlyMap<string, DecidingRecord>>;
}): Promise<{ posted: number; skipped: number }> {
  const { store } = input;
  const previous = parseAlertState(await store.readAlertState());
  let plan = planAlerts(previous, input.results, input.now, input.policy);
  if (input.records && plan.messages.length > 0) {
    // The plan is pure and keyed by state, not content: planned again with the records it says the same.
    const ids = recordIdsFor(input.results, new Set(plan.messages.flatMap((m) => m.controls)));
    plan = planAlerts(previous, input.results, input.now, input.policy, await input.records(ids));
  }
  let progress = previous;
  const deliveries = await input.notifier.deliver(plan.messages, previous, async (d) => {
    progress = recordDeliveries(progress, [d]);
    await saveState(store, progress);
  });
  await saveState(store, recordDeliveries(plan.next, deliveries));
  const posted = deliveries.filter((d) => !d.skipped).length;
  return { posted, skipped: deliveries.length - posted };
}

/** The state is plain JSON (alerts/types.ts); its interfaces just do not say so to the compiler. */
function saveState(store: AlertStateStore, state: AlertState): Promise<void> {
  return store.writeAlertState(state as unknown as JsonValue);
}
