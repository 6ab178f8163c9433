import { ConnectorError } from '../errors';

/**
 * The primary rate limit is exhausted and resets later than the configured wait allows. Retryable: the
 * next attempt (after Temporal's backoff) finds a fresh budget.
 */
export class RateLimitError extends ConnectorError {
  override readonly name = 'RateLimitError';
  readonly retryable = true;
}

/** GitHub kept answering 5xx (or the connection kept failing) after every retry. Retryable. */
export class SourceUnavailableError extends ConnectorError {
  override readonly name = 'SourceUnavailableError';
  readonly retryable = true;
}
