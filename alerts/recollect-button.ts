import { slackLimits } from './blocks';
import type { Block, ButtonElement, PlannedItem } from './types';

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
 * Adds one actions block with a "Re-collect <id> now" button per stale control of an alert, above its
 * closing context blocks (the evaluation time and footer buildMessage ends with). Used only when
 * `console.slack` is configured (AlertPolicy.recollectButton): without the app nobody would answer a press.
 * A message already at the 50-block limit stays as it is.
 */
export function withRecollectButtons<M extends { blocks: Block[] }>(
  message: M,
  entries: readonly { item: Pick<PlannedItem, 'control' | 'to' | 'rule'> }[],
): M {
  const stale = [...new Set(entries.filter((e) => e.item.to === 'stale' && !e.item.rule).map((e) => e.item.control))];
  if (stale.length === 0 || message.blocks.length >= slackLimits.blocks) return message;
  const actions: Block = {
    type: 'actions',
    block_id: 'evidence_recollect',
    elements: stale.slice(0, maxButtons).map(button),
  };
  const tail = message.blocks.slice(-2);
  const closing = tail.every((b) => b.type === 'context') ? 2 : 0;
  const body = message.blocks.slice(0, message.blocks.length - closing);
  return { ...message, blocks: [...body, actions, ...message.blocks.slice(body.length)] };
}
