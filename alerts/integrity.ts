import { createHash } from 'node:crypto';
import type { IntegrityRun } from '../evidence/integrity';
import type { AlertPolicy, PlannedMessage } from './types';

/**
 * The integrity monitor's Slack message: one per failed run, to the default channel (the operations
 * route), naming the problem classes and their counts. No evidence content, only counts and classes.
 */
export function integrityAlert(
  run: IntegrityRun,
  store: string,
  policy: Pick<AlertPolicy, 'defaultChannel' | 'defaultMention'>,
): PlannedMessage {
  const classes = Object.entries(run.problems)
    .map(([code, n]) => `${code} x${n}`)
    .join(', ');
  const range =
    run.fromSequence > run.toSequence ? 'no new bundle' : `bundles #${run.fromSequence}..#${run.toSequence}`;
  const mention = policy.defaultMention ? `${policy.defaultMention} ` : '';
  const text = `${mention}:rotating_light: Evidence integrity check failed (${run.mode}, ${range}) on ${store}: ${classes}. Run \`evidence-hub verify\` for details.`;
  return {
    key: createHash('sha256').update(`integrity\n${store}\n${run.mode}\n${run.at}`).digest('hex'),
    kind: 'alert',
    channel: policy.defaultChannel,
    controls: [],
    items: [],
    text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
    at: run.at,
  };
}
