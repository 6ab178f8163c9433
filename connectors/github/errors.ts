// The GitHub connector's retryable errors are the shared connector classes.
export { RateLimitError, SourceUnavailableError } from '../../core/errors';
