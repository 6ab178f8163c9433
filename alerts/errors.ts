/**
 * Errors of alert delivery. Not connector errors: Slack is where alerts go, not a source of evidence.
 * They share the connector errors' contract, though: `retryable` says whether another attempt can help,
 * and the class name is the Temporal failure type (workflows/activity-options.ts lists SlackMessageError
 * as non-retryable). A Slack token or channel that is wrong is reported as the shared CredentialsError or
 * SourceConfigError (core/errors.ts), which every retry policy already treats as final.
 */
export abstract class AlertDeliveryError extends Error {
  abstract readonly retryable: boolean;
}

/** Slack refused the message itself (invalid_blocks, msg_too_long...): a bug here, retrying cannot help. */
export class SlackMessageError extends AlertDeliveryError {
  override readonly name = 'SlackMessageError';
  readonly retryable = false;
}

/** Slack could not be reached or kept failing (network, 5xx, rate limit after every retry): retry later. */
export class SlackUnavailableError extends AlertDeliveryError {
  override readonly name = 'SlackUnavailableError';
  readonly retryable = true;
}
