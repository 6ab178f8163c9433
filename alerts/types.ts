import type { ControlStatus } from '../mappings/evaluate';

/**
 * The alerting engine's types. Everything here is plain JSON: the state is persisted between runs and
 * a planned message can travel through Temporal as an activity argument or result.
 */

/** Statuses that are a problem an owner must act on: they are alerted and reminded. */
export const problemStatuses = [
  'overdue',
  'stale',
  'missing',
  'exception',
  'collection-failed',
] as const satisfies readonly ControlStatus[];
export type ProblemStatus = (typeof problemStatuses)[number];

export function isProblem(status: ControlStatus | undefined): status is ProblemStatus {
  return (problemStatuses as readonly (ControlStatus | undefined)[]).includes(status);
}

/**
 * The statuses that end an episode: evidence is current again, or the control left the scope. Leaving a
 * problem for any other status (design only, not configured, unverified, not exercised) is no recovery:
 * nothing shows the control operating, so the episode stays open, silently, until one of these is reached.
 */
export const recoveredStatuses = ['current', 'due-soon', 'not-applicable'] as const satisfies readonly ControlStatus[];

export function isRecovered(status: ControlStatus): boolean {
  return (recoveredStatuses as readonly ControlStatus[]).includes(status);
}

export interface SlackThread {
  /** Channel id as Slack answered it (C0123...), so replies reach the same conversation. */
  channel: string;
  ts: string;
}

/** What the engine remembers about one control between runs. */
export interface ControlAlertState {
  status: ControlStatus;
  /** When this status was first seen (ISO). Part of every idempotency key, so retries give the same keys. */
  since: string;
  /** Item key of the alert that opened the current episode (a problem, or a due-soon notice); none when quiet. */
  alertKey?: string;
  /** When that alert was planned (ISO): the anchor of the reminder cadence. */
  alertedAt?: string;
  /** Where that alert was posted, once it was: recovery replies go into this thread. */
  thread?: SlackThread;
  /** Last reminder planned for this episode (ISO). */
  remindedAt?: string;
  /**
   * Item keys of the due-soon notices posted for rules whose warning the control's status hides (a due-soon
   * rule of a control that reads not-configured or design-only): kept while those rules stay due soon, so
   * each warning window is announced once (engine.ts, hiddenWarnings).
   */
  warned?: string[];
}

export interface PostedRecord {
  /** Evaluation time of the plan that produced it (ISO): what pruning goes by. */
  at: string;
  channel: string;
  ts: string;
}

export const alertStateVersion = 1;

/**
 * Persisted between runs; small (one entry per control plus recent keys) and versioned.
 * `posted` holds both message keys and item keys (one per control transition) of what Slack accepted.
 */
export interface AlertState {
  version: typeof alertStateVersion;
  controls: Record<string, ControlAlertState>;
  posted: Record<string, PostedRecord>;
}

export interface AlertRoute {
  /** A control id (A.6.2.8) or a prefix of ids at a dot boundary (A.6): the longest match wins. */
  match: string;
  channel: string;
  /** `<@U123>` or `<!subteam^S123>`: who is mentioned on alerts and reminders for these controls. */
  mention?: string;
}

export interface AlertPolicy {
  defaultChannel: string;
  defaultMention?: string;
  routes: AlertRoute[];
  /** One message per channel per run for all alerts and reminders (recoveries stay threaded replies). */
  digest: boolean;
  /** Reminder cadence for controls that stay stale, missing or collection-failed. */
  reminderEveryMs: number;
  /** Announce current -> due-soon (the warning window before the evidence is due started). */
  dueSoonNotice: boolean;
  /** Posted keys older than this are pruned (default 30 days); at most `maxPostedKeys` are kept. */
  keyRetentionMs?: number;
  maxPostedKeys?: number;
  /** Owner names (a document's `owner:`) to Slack user mentions (alerts.slack.owners). */
  owners?: Readonly<Record<string, string>>;
  /** `console.publicUrl`: alerts link the control's console page (alerts/details.ts). */
  consoleUrl?: string;
  /**
   * Ids the console has a page for (the Annex A catalog); absent: every id. A management-system clause has
   * no console page yet, so its alerts link the deciding record instead of a page that would answer 404.
   */
  consolePages?: ReadonlySet<string>;
  /** Stale-control alerts carry a "Re-collect now" button (alerts/recollect-button.ts): `console.slack` is set. */
  recollectButton?: boolean;
}

export type ItemKind = 'alert' | 'reminder' | 'recovery';

/** One control's part in a message: what changed, and its own idempotency key. */
export interface PlannedItem {
  key: string;
  kind: ItemKind;
  control: string;
  /** Status before (undefined: first time this control is seen). */
  from?: ControlStatus;
  to: ControlStatus;
  /** A notice about one rule of the control (its warning window), not about the control's own status. */
  rule?: string;
}

export type MessageKind = 'alert' | 'reminder' | 'recovery' | 'digest';

/** Minimal Block Kit shapes (structurally compatible with @slack/types' KnownBlock). */
export interface TextObject {
  type: 'plain_text' | 'mrkdwn';
  text: string;
  emoji?: boolean;
}
export type Block =
  | { type: 'header'; text: TextObject & { type: 'plain_text' } }
  | { type: 'section'; text: TextObject }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' }
  | ActionsBlock;

/** A row of buttons (alerts/recollect-button.ts); Block Kit allows 25 elements in one. */
export interface ActionsBlock {
  type: 'actions';
  block_id: string;
  elements: ButtonElement[];
}

/** A Block Kit button (alerts/recollect-button.ts). */
export interface ButtonElement {
  type: 'button';
  action_id: string;
  text: TextObject & { type: 'plain_text' };
  value: string;
}

export interface PlannedMessage {
  /** Deterministic: sha256 over channel, thread, kind and the item keys. Never posted twice. */
  key: string;
  kind: MessageKind;
  channel: string;
  /** Set for replies (recoveries): the original alert's ts. Replies are never broadcast. */
  threadTs?: string;
  /** Control ids covered, in catalog order. */
  controls: string[];
  items: PlannedItem[];
  /** Notification / fallback text (mentions included). */
  text: string;
  blocks: Block[];
  /** Evaluation time of the plan (ISO). */
  at: string;
}

/** What the notifier reports per message: the caller records it with recordDeliveries. */
export interface Delivery {
  key: string;
  /** Channel id Slack posted to. */
  channel: string;
  ts: string;
  /** The message was already posted (its key was in the state): nothing was sent this time. */
  skipped: boolean;
  itemKeys: string[];
  at: string;
}
