import type { ControlStatus } from '../mappings/evaluate';
import type { DueLabel } from '../mappings/due';
import { formatDuration } from '../core/duration';
import type { AlertLink, AlertOwner } from './details';
import type { ActionsBlock, Block, TextObject } from './types';

/**
 * Slack Block Kit builders. Pure: the same input gives the same blocks, so a message's idempotency key
 * and its content never disagree. Limits kept: 50 blocks per message, 3000 characters per section or
 * context text, 150 per header.
 */
export const slackLimits = {
  blocks: 50,
  sectionText: 3000,
  headerText: 150,
  contextElements: 10,
  fallbackText: 3000,
} as const;

export const statusEmoji: Record<ControlStatus, string> = {
  current: ':large_green_circle:',
  'due-soon': ':large_yellow_circle:',
  overdue: ':hourglass:',
  'not-exercised': ':white_circle:',
  'not-configured': ':grey_question:',
  'design-only': ':large_orange_circle:',
  unverified: ':large_orange_diamond:',
  stale: ':red_circle:',
  missing: ':black_circle:',
  exception: ':rotating_light:',
  'collection-failed': ':warning:',
  'not-applicable': ':heavy_minus_sign:',
};

export const recoveryEmoji = ':white_check_mark:';

/** One control as a message shows it. */
export interface ControlLine {
  id: string;
  title: string;
  status: ControlStatus;
  reason: string;
  /** When the deciding rule's evidence goes (went) stale, and which of the two (mappings/due.ts). */
  dueAt?: string;
  dueLabel?: DueLabel;
  evidenceCount: number;
  /** A short extra line, e.g. "was stale since 2026-02-01 (40d)". */
  note?: string;
  /** What the owner should do (next-step.ts). */
  nextStep?: string;
  owner?: AlertOwner;
  /** The control's console page or the deciding record (details.ts). */
  link?: AlertLink;
}

export interface MessageSection {
  /** Already-formatted mrkdwn shown above the controls of this section (a digest group, a failing source). */
  heading?: string;
  lines: ControlLine[];
}

export interface MessageSpec {
  header: string;
  /** mrkdwn under the header; mentions go here so they notify. */
  intro?: string;
  sections: MessageSection[];
  at: Date;
  /** Plain (unescaped) summary for notifications and clients without blocks; mentions are prepended. */
  summary: string;
  mentions?: string[];
  /** Buttons shown after the controls, above the closing contexts; their block is budgeted like the rest. */
  actions?: ActionsBlock;
}

const footer = 'evidence-hub · ISO/IEC 42001 Annex A · `evidence-hub status` shows every control';

/** Slack mrkdwn control characters; mentions are added by us, never taken from evidence text. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts at `max` characters (code points kept whole), marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  // Never leave half a surrogate pair behind.
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

const day = (iso: string) => iso.slice(0, 10);

/** A Slack date token: shown in the reader's time zone, with a UTC fallback for old clients. */
export function slackDate(iso: string, format = '{date_short_pretty}'): string {
  const sec = Math.floor(Date.parse(iso) / 1000);
  const fallback = format.includes('{time}') ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : day(iso);
  return `<!date^${sec}^${format}|${fallback}>`;
}

/** "goes stale on <date> (in 4d)", "stale since <date> (12d)": the one DUE wording (mappings/due.ts). */
function dueText(dueAt: string, label: DueLabel, now: Date): string {
  const delta = Date.parse(dueAt) - now.getTime();
  if (delta > 0) return `${label} ${slackDate(dueAt)} (in ${formatDuration(delta)})`;
  if (delta === 0) return `${label} ${slackDate(dueAt)} (today)`;
  return `${label} ${slackDate(dueAt)} (${formatDuration(-delta)} ago)`;
}

/** A Slack link: `&`, `<`, `>` and `|` would end or break it, so they are encoded (the URL is http(s), details.ts). */
function slackLink(link: AlertLink): string {
  const url = link.url.replace(/&/g, '&amp;').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/\|/g, '%7C');
  return `<${url}|${link.label === 'console' ? 'Open in the evidence console' : 'Open the record'}>`;
}

/** "*Next step:* … · *Owner:* <@U…> · <link>": what to do, whose it is, where to look. */
function actionText(line: ControlLine): string | undefined {
  const parts = [
    ...(line.nextStep ? [`*Next step:* ${escapeMrkdwn(truncate(line.nextStep, 400))}`] : []),
    // A mention is ours (config or a validated Slack id); a plain name comes from a document and is escaped.
    ...(line.owner ? [`*Owner:* ${line.owner.mention ?? escapeMrkdwn(truncate(line.owner.name, 100))}`] : []),
    ...(line.link ? [slackLink(line.link)] : []),
  ];
  return parts.length > 0 ? parts.join(' · ') : undefined;
}

/** The section text for one control: id, title, status emoji, next step, owner, link, reason, due date, evidence count. */
export function controlSectionText(line: ControlLine, now: Date): string {
  const facts = [
    `${statusEmoji[line.status]} *${line.status}*`,
    ...(line.dueAt ? [dueText(line.dueAt, line.dueLabel ?? 'goes stale on', now)] : []),
    `${line.evidenceCount} evidence record${line.evidenceCount === 1 ? '' : 's'}`,
  ].join(' · ');
  const action = actionText(line);
  const parts = [
    `*${escapeMrkdwn(line.id)}* ${escapeMrkdwn(truncate(line.title, 200))}`,
    facts,
    ...(line.note ? [`_${escapeMrkdwn(truncate(line.note, 300))}_`] : []),
    // Before the reason, so cutting a long reason never cuts the link or the next step.
    ...(action ? [action] : []),
    // Escaping can triple a character's length: cut the raw reason well under the section limit first.
    `>${escapeMrkdwn(truncate(line.reason.replace(/\s*\n\s*/g, ' '), 1500))}`,
  ];
  return truncate(parts.join('\n'), slackLimits.sectionText);
}

const mrkdwn = (text: string): TextObject => ({ type: 'mrkdwn', text: truncate(text, slackLimits.sectionText) });

/**
 * header, intro (mentions), per section an optional heading and one section block per control, then a
 * context with the evaluation time and a footer context. Controls beyond the 50-block budget are
 * listed by id in one closing section.
 */
export function buildMessage(spec: MessageSpec): { text: string; blocks: Block[] } {
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: truncate(spec.header, slackLimits.headerText), emoji: true } },
  ];
  const mentionText = (spec.mentions ?? []).join(' ');
  const intro = [mentionText, spec.intro ?? ''].filter((s) => s !== '').join(' ');
  if (intro) blocks.push({ type: 'section', text: mrkdwn(intro) });
  const tail: Block[] = [
    {
      type: 'context',
      elements: [mrkdwn(`Evaluated ${slackDate(spec.at.toISOString(), '{date_short_pretty} {time}')}`)],
    },
    { type: 'context', elements: [mrkdwn(footer)] },
  ];
  const actions: Block[] = spec.actions ? [spec.actions] : [];
  // Reserve the tail, the buttons and one block for "and N more": a long message lists its last controls by
  // id rather than losing the buttons.
  const budget = slackLimits.blocks - tail.length - actions.length - 1;
  const left: string[] = [];
  for (const section of spec.sections) {
    if (section.heading !== undefined) {
      if (blocks.length < budget) blocks.push({ type: 'section', text: mrkdwn(section.heading) });
      else {
        left.push(...section.lines.map((l) => l.id));
        continue;
      }
    }
    for (const line of section.lines) {
      if (blocks.length < budget) blocks.push({ type: 'section', text: mrkdwn(controlSectionText(line, spec.at)) });
      else left.push(line.id);
    }
  }
  if (left.length > 0) {
    blocks.push({
      type: 'section',
      text: mrkdwn(
        `…and ${left.length} more control${left.length === 1 ? '' : 's'}: ${left.map(escapeMrkdwn).join(', ')}`,
      ),
    });
  }
  blocks.push(...actions, ...tail);
  const text = truncate(
    [mentionText, escapeMrkdwn(spec.summary)].filter((s) => s !== '').join(' '),
    slackLimits.fallbackText,
  );
  return { text, blocks };
}
