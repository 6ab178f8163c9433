import type { ActionsBlock, ButtonElement, PlannedItem } from './types';

/** The action id of the "Re-collect now" button; the console's Slack app (console/slack-app/) answers it. */
export const recollectActionId = 'evidence_recollect';

/** Block Kit allows 25 elements in one actions block. */
const maxButtons = 25;

function button(controlId: string): ButtonElement {
  return {
    type: 'button',
    action_id: recollectActionId,
    text: { type: 'plain_text', text: `Re-collect ${controlId} now`.slice(0, 75), emoji: true },
    // The control id is the sweep's scope: the app starts `sweep --controls <id>` for an operator.
    value: controlId,
  };
}

/**
 * One actions block with a "Re-collect <id> now" button per stale control of an alert, for its
 * MessageSpec.actions (buildMessage places and budgets it). Used only when `console.slack` is configured
 * (AlertPolicy.recollectButton): without the app nobody would answer a press. A control that is stale
 * because one of its rules only warns (`rule`) has nothing to re-collect yet: no button.
 */
export function recollectActions(
  entries: readonly { item: Pick<PlannedItem, 'control' | 'to' | 'rule'> }[],
): ActionsBlock | undefined {
  const stale = [...new Set(entries.filter((e) => e.item.to === 'stale' && !e.item.rule).map((e) => e.item.control))];
  if (stale.length === 0) return undefined;
  return { type: 'actions', block_id: 'evidence_recollect', elements: stale.slice(0, maxButtons).map(button) };
}
