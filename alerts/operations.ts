import { createHash } from 'node:crypto';
import type { AlertsConfig } from './config';
import type { PlannedMessage } from './types';

/**
 * The operations route: where the hub's own faults are posted (the evidence store down or refusing access,
 * an integrity verification that failed). They are the platform team's to fix; control owners hear only
 * about their controls, so an outage never reaches them as `connect ECONNREFUSED …`.
 */
export interface OperationsRoute {
  channel: string;
  mention?: string;
}

/** `alerts.slack.operations`, or the default channel and mention when it is not configured. */
export function operationsRoute(cfg: AlertsConfig): OperationsRoute {
  const ops = cfg.slack.operations;
  if (ops) return { channel: ops.channel, ...(ops.mention ? { mention: ops.mention } : {}) };
  return {
    channel: cfg.slack.defaultChannel,
    ...(cfg.slack.defaultMention ? { mention: cfg.slack.defaultMention } : {}),
  };
}

/** What happened, for one operations message: a fault of the hub, not of a control. */
export interface OperationsNotice {
  /** e.g. "store-fault" */
  kind: string;
  /** What it concerns (the sweep's workflow id), part of the message key: one post per event. */
  subject: string;
  /** One line, already free of secrets (error messages of the store classifier never carry them). */
  summary: string;
  /** What to do about it. */
  action: string;
  at: string;
}

/** The Slack message for a notice: plain text, no evidence, keyed so a retried activity never posts twice. */
export function operationsMessage(notice: OperationsNotice, route: OperationsRoute): PlannedMessage {
  const mention = route.mention ? `${route.mention} ` : '';
  const text = `${mention}:warning: evidence-hub operations: ${notice.summary}. ${notice.action}`;
  return {
    key: createHash('sha256').update(`operations\n${notice.kind}\n${notice.subject}`).digest('hex'),
    kind: 'alert',
    channel: route.channel,
    controls: [],
    items: [],
    text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 2900) } }],
    at: notice.at,
  };
}
