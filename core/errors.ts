/**
 * Error classes a connector throws. Their names are the Temporal failure types used in retry policies,
 * so a credentials or config problem fails fast instead of retrying for hours.
 */
export abstract class ConnectorError extends Error {
  abstract readonly retryable: boolean;
}

/** Credentials are missing, expired or lack a scope. Retrying cannot help; a human must act. */
export class CredentialsError extends ConnectorError {
  override readonly name = 'CredentialsError';
  readonly retryable = false;
}

/** The source's configuration points at something that does not exist or is not allowed. */
export class SourceConfigError extends ConnectorError {
  override readonly name = 'SourceConfigError';
  readonly retryable = false;
}

/** The source answered with something we cannot parse. Retried: truncated bodies are often transient. */
export class SourceResponseError extends ConnectorError {
  override readonly name = 'SourceResponseError';
  readonly retryable = true;
}

/**
 * The source was read completely, and nothing in it is usable (every SIEM export file malformed). Not
 * retried: reading the same bytes again gives the same answer; someone has to fix the export.
 */
export class SourceContentError extends ConnectorError {
  override readonly name = 'SourceContentError';
  readonly retryable = false;
}

/** A rate limit that resets later than the configured wait allows. Retryable after Temporal's backoff. */
export class RateLimitError extends ConnectorError {
  override readonly name = 'RateLimitError';
  readonly retryable = true;
}

/** The source kept answering 5xx (or the connection kept failing) after every retry. Retryable. */
export class SourceUnavailableError extends ConnectorError {
  override readonly name = 'SourceUnavailableError';
  readonly retryable = true;
}

/** Raised when the disk is full; never retried automatically, and the message says what to do. */
export class StoreFullError extends Error {
  override readonly name = 'StoreFullError';
}

/**
 * The signing key cannot be used: missing, not the store's current key, or not trusted. Never retried: a
 * person has to run `evidence-hub keys init|rotate` or fix the worker's key, and sealing with the wrong key
 * would write bundles that fail verification forever.
 */
export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

/**
 * The evidence store itself failed, not a source: the store's failures are the store's. A sweep that meets
 * one stops and names the store instead of recording every source as failed (which sealed a bundle of
 * failures and alerted every control owner), and the operations channel hears of it, not the owners.
 */
export abstract class StoreFault extends Error {
  abstract readonly retryable: boolean;
}

/** The store cannot be reached or answers 5xx (network down, S3 endpoint restarting). Retried. */
export class StoreUnavailableError extends StoreFault {
  override readonly name = 'StoreUnavailableError';
  readonly retryable = true;
}

/** The store refuses the credentials or the access (wrong secret, no permission, no such bucket). Final. */
export class StoreAccessError extends StoreFault {
  override readonly name = 'StoreAccessError';
  readonly retryable = false;
}

/** Failure types that mean "the store failed": a sweep stops on them rather than blaming a source. */
export const storeFaultTypes: readonly string[] = ['StoreUnavailableError', 'StoreAccessError'];

export const nonRetryableErrorTypes = [
  'CredentialsError',
  'SourceConfigError',
  'SourceContentError',
  'InputError',
  'StoreFullError',
  'SigningKeyError',
  'StoreAccessError',
];
