import { SageMakerServiceException, type SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CredentialsError, SourceResponseError } from '../../core/errors';

/** Error names AWS gives when the credentials themselves are rejected (not merely lacking a permission). */
const rejectedCredentials = new Set([
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'MissingAuthenticationToken',
]);

/** Error names that mean "no such resource": the caller turns them into `undefined`. */
const notFound = new Set(['ResourceNotFound', 'ResourceNotFoundException']);

/**
 * Sends SageMaker API calls, counting requests (every attempt, retries included) and turning AWS errors into
 * the connector error classes. Throttling (429, ThrottlingException) and 5xx are retried by the SDK's
 * standard retry strategy (exponential backoff with jitter; a `Retry-After` header lengthens the wait) up to
 * the configured attempts; what is still failing after them is rethrown as is, so the activity retries later.
 */
export class SagemakerCalls {
  readonly counters = { requests: 0, retries: 0, throttled: 0 };

  constructor(
    readonly client: SageMakerClient,
    private readonly sourceId: string,
    /** Region or endpoint, for messages. */
    readonly location: string,
  ) {}

  /** One call; `action` is the API action (`ListModelPackages`), named in permission errors as `sagemaker:<action>`. */
  async send<T>(action: string, run: (c: SageMakerClient) => Promise<T>): Promise<T> {
    try {
      const out = await run(this.client);
      this.account((out as { $metadata?: { attempts?: number } }).$metadata?.attempts);
      return out;
    } catch (err) {
      this.account((err as { $metadata?: { attempts?: number } }).$metadata?.attempts);
      throw this.classify(err, action);
    }
  }

  /** Like `send`, but a missing resource (or a validation error saying so) is `undefined`. */
  async sendOrUndefined<T>(action: string, run: (c: SageMakerClient) => Promise<T>): Promise<T | undefined> {
    try {
      return await this.send(action, run);
    } catch (err) {
      if (err instanceof SageMakerServiceException && isNotFound(err)) return undefined;
      throw err;
    }
  }

  private account(attempts: number | undefined): void {
    const n = attempts ?? 1;
    this.counters.requests += n;
    this.counters.retries += n - 1;
  }

  private classify(err: unknown, action: string): unknown {
    if (!(err instanceof SageMakerServiceException)) return err;
    const status = err.$metadata.httpStatusCode;
    const where = `source "${this.sourceId}": SageMaker ${action} (${this.location})`;
    if (rejectedCredentials.has(err.name) || status === 401) {
      return new CredentialsError(
        `${where} rejected the credentials (${err.name}); renew the keys or role configured for this source`,
      );
    }
    if (err.name === 'AccessDeniedException' || err.name === 'AccessDenied' || status === 403) {
      return new CredentialsError(
        `${where}: access denied; the credentials need the IAM permission sagemaker:${action} (see connectors/sagemaker/README.md)`,
      );
    }
    if (isNotFound(err)) return err;
    if (err.name === 'ThrottlingException' || status === 429 || (status !== undefined && status >= 500)) {
      this.counters.throttled++;
      return err; // still failing after the SDK's retries: the activity retries the collection later
    }
    return new SourceResponseError(`${where} failed: ${err.name}: ${err.message}`);
  }
}

function isNotFound(err: SageMakerServiceException): boolean {
  // SageMaker answers most Describe* calls on a missing resource with ValidationException "... does not exist".
  return (
    notFound.has(err.name) ||
    (err.name === 'ValidationException' && /does not exist|not found|could not find/i.test(err.message))
  );
}

/** The SDK's per-call options for an optional abort signal (`exactOptionalPropertyTypes` forbids `undefined`). */
export function abortable(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}
