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

export interface StatusReplyInput {
  asOf: string;
  /** Annex A results matching the glob (all without one). */
  controls: ControlResult[];
  /** Management-system clause results matching the glob (all without one), from the same evaluation. */
  clauses: ControlResult[];
  glob: string | undefined;
  publicUrl: string | undefined;
  reevaluation?: Reevaluation | undefined;
}

function countsText(results: ControlResult[]): string {
  const counts = new Map<string, number>();
  for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * `/evidence status [<glob>]`: the matching controls and clauses in catalog order, through the alerts' own
 * message builder, so the 50-block and 3000-character limits hold and the rest is "and N more". Without a
 * glob the Annex A controls are listed and the clauses only counted (all 65 would not fit one message);
 * `/evidence status 9.*` lists clause 9, as `status --controls "9.*"` does.
 */
export function statusReply(input: StatusReplyInput): SlackReply {
  const { asOf, glob, publicUrl, reevaluation } = input;
  // Each catalog with results is counted; the clauses are listed only when a glob chose them.
  const catalogs = [
    { noun: 'Annex A control', heading: '*Annex A controls*', results: input.controls, listed: true },
    { noun: 'clause', heading: '*Management-system clauses*', results: input.clauses, listed: glob !== undefined },
  ].filter((c) => c.results.length > 0);
  const listed = catalogs.filter((c) => c.listed);
  if (listed.length === 0)
    return plainReply(
      glob
        ? `No control or clause matching \`${escapeMrkdwn(glob)}\`. \`/evidence status A.6.*\` lists the A.6 controls, \`/evidence status 9.*\` clause 9.`
        : 'No control in Annex A: is the catalog loaded?',
    );
  const now = new Date(asOf);
  const counted = catalogs.map((c) => `${plural(c.results.length, c.noun)}: ${countsText(c.results)}`);
  const summary = `${glob ? `Matching ${glob}: ` : ''}${counted.join('; ')}`;
  const sections = listed.map((c) => ({
    ...(listed.length > 1 ? { heading: c.heading } : {}),
    lines: c.results.map((r) => lineOf(r, now, publicUrl)),
  }));
  const message = buildMessage({
    header: `Evidence status ${glob ? glob : 'Annex A'}`,
    // As the console's pages do: results served while a newer bundle is evaluated say so.
    intro: [
      escapeMrkdwn(summary),
      ...(listed.length < catalogs.length ? ['`/evidence status 9.*` lists clause 9.'] : []),
      ...(reevaluation
        ? [
            `_As of bundle ${reevaluation.evaluatedBundle}; bundle ${reevaluation.newestBundle} is being evaluated: ask again shortly._`,
          ]
        : []),
    ].join('\n'),
    sections,
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
