import { buildMessage, escapeMrkdwn, type ControlLine } from '../../alerts/blocks';
import { consoleControlUrl, safeHttpUrl } from '../../alerts/details';
import { nextStep } from '../../alerts/next-step';
import type { Block } from '../../alerts/types';
import { dueLabel } from '../../mappings/due';
import type { ControlResult } from '../../mappings/evaluate';
import type { Reevaluation } from '../data';
import { commandUsage } from './command';

/** A message to the one person who asked (response_url or chat.postEphemeral): nobody else sees it. */
export interface SlackReply {
  response_type: 'ephemeral';
  text: string;
  blocks?: Block[] | undefined;
  /** Replies to a button never replace the alert it sits on. */
  replace_original?: false | undefined;
}

export const plainReply = (text: string): SlackReply => ({ response_type: 'ephemeral', text });

export const usageReply = (problem: string | undefined): SlackReply =>
  plainReply([...(problem ? [`:warning: ${escapeMrkdwn(problem)}`] : []), commandUsage].join('\n'));

/** A control as the alerts show it (alerts/blocks.ts): status, deciding reason, due date, next step, console link. */
function lineOf(r: ControlResult, now: Date, publicUrl: string | undefined): ControlLine {
  const url = publicUrl !== undefined ? consoleControlUrl(publicUrl, r.control.id) : undefined;
  const step = nextStep(r.cause, now);
  return {
    id: r.control.id,
    title: r.control.title,
    status: r.status,
    reason: r.reason,
    ...(r.dueAt ? { dueAt: r.dueAt, dueLabel: dueLabel(r) ?? 'goes stale on' } : {}),
    evidenceCount: r.evidence.length,
    ...(step !== undefined ? { nextStep: step } : {}),
    ...(url !== undefined ? { link: { url, label: 'console' as const } } : {}),
  };
}

/**
 * `/evidence status <glob>`: the matching controls, worst first as `status` orders them, through the alerts'
 * own message builder, so the 50-block and 3000-character limits hold and the rest is "and N more".
 */
export function statusReply(
  asOf: string,
  results: ControlResult[],
  glob: string | undefined,
  publicUrl: string | undefined,
  reevaluation?: Reevaluation | undefined,
): SlackReply {
  const scope = glob ? `matching \`${escapeMrkdwn(glob)}\`` : 'in Annex A';
  if (results.length === 0)
    return plainReply(`No control ${scope}. \`/evidence status A.6.*\` lists the A.6 controls.`);
  const now = new Date(asOf);
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const summary = `${results.length} control${results.length === 1 ? '' : 's'} ${glob ? `matching ${glob}` : 'in Annex A'}: ${[
    ...counts,
  ]
    .map(([s, n]) => `${n} ${s}`)
    .join(', ')}`;
  const message = buildMessage({
    header: `Evidence status ${glob ? glob : 'Annex A'}`,
    // As the console's pages do: results served while a newer bundle is evaluated say so.
    intro: [
      escapeMrkdwn(summary),
      ...(reevaluation
        ? [
            `_As of bundle ${reevaluation.evaluatedBundle}; bundle ${reevaluation.newestBundle} is being evaluated: ask again shortly._`,
          ]
        : []),
    ].join('\n'),
    sections: [{ lines: results.map((r) => lineOf(r, now, publicUrl)) }],
    at: now,
    summary,
  });
  return { response_type: 'ephemeral', ...message };
}

/** The sweep's page in the console, when `console.publicUrl` says where the console is. */
function sweepLink(publicUrl: string | undefined, workflowId: string): string {
  if (publicUrl === undefined) return '';
  const base = safeHttpUrl(publicUrl)?.replace(/\/+$/, '');
  return base ? ` <${base}/sweeps/${encodeURIComponent(workflowId)}|Follow it in the evidence console>` : '';
}

export function sweepStartedReply(workflowId: string, controls: string, publicUrl: string | undefined): SlackReply {
  return {
    ...plainReply(
      `:arrows_counterclockwise: Sweep \`${escapeMrkdwn(workflowId)}\` started for controls \`${escapeMrkdwn(controls)}\`: the next sealed bundle records that you started it.${sweepLink(publicUrl, workflowId)}`,
    ),
    replace_original: false,
  };
}
