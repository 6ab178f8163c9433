/**
 * Slack alerting for control status changes. Pure parts (no I/O, no Temporal): engine.ts (planAlerts,
 * recordDeliveries), blocks.ts (Block Kit), config.ts (zod). I/O: slack-notifier.ts (SlackNotifier).
 */
export * from './types';
export {
  planAlerts,
  recordDeliveries,
  emptyAlertState,
  parseAlertState,
  routeFor,
  failingSource,
  itemKey,
  messageKey,
  compareControlIds,
  type AlertPlan,
  type Route,
  type FailingSource,
} from './engine';
export {
  buildMessage,
  controlSectionText,
  escapeMrkdwn,
  slackLimits,
  statusEmoji,
  type ControlLine,
  type MessageSpec,
  type MessageSection,
} from './blocks';
export {
  alertsConfigSchema,
  slackAlertsSchema,
  alertPolicyFromConfig,
  unknownRouteMatches,
  type AlertsConfig,
  type SlackAlertsConfig,
} from './config';
export {
  SlackNotifier,
  SlackMessageError,
  SlackUnavailableError,
  defaultSlackRetry,
  slackLoggerFor,
  type SlackNotifierOptions,
} from './slack-notifier';
