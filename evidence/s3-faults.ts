import { S3ServiceException, type S3Client } from '@aws-sdk/client-s3';
import { nodeNetworkCodes } from './object/http-faults';
import { StoreAccessError, StoreUnavailableError, type StoreFault } from '../core/errors';

/**
 * Classifies what an S3 store's client throws into the store's own fault classes (core/errors.ts), once,
 * for every command the store sends (uploads included). A wrong secret was retried ten times as if it were
 * temporary, and an unreachable endpoint was recorded as every source failing: now the first is a
 * StoreAccessError (never retried) and the second a StoreUnavailableError (retried, then the sweep stops
 * naming the store). Everything else (404, 412 of a conditional write, cancellation) passes through
 * untouched, because the store reads those as answers, not faults.
 */

/** S3 error codes that mean "these credentials or this access will never work", whatever the retry. */
const accessCodes = new Set([
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'AccessDenied',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AllAccessDisabled',
  'AccountProblem',
  'InvalidClientTokenId',
  'NoSuchBucket',
  'CredentialsProviderError',
]);

/** Node network failures, plus the AWS SDK's names for an answer that never finished. */
const networkCodes = new Set<string>([...nodeNetworkCodes, 'TimeoutError', 'RequestTimeout']);

/** The store fault an S3 error stands for, or undefined when it is an ordinary answer. */
export function storeFaultOf(err: unknown, where: string): StoreFault | undefined {
  if (!(err instanceof Error) || err.name === 'AbortError') return undefined;
  if (err instanceof StoreAccessError || err instanceof StoreUnavailableError) return err;
  const status = err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;
  const code = (err as { code?: string }).code ?? err.name;
  if (accessCodes.has(err.name) || accessCodes.has(code) || status === 401 || status === 403)
    return new StoreAccessError(
      `the evidence store ${where} refused access: ${err.name}${err.message && err.message !== err.name ? ` (${err.message})` : ''}; check store.s3.credentials (the access key and its secret), the bucket name and the key's permissions`,
      { cause: err },
    );
  if (networkCodes.has(code) || networkCodes.has(err.name) || (status !== undefined && status >= 500))
    return new StoreUnavailableError(
      `the evidence store ${where} is unavailable: ${err.name === 'Error' ? '' : `${err.name}: `}${err.message || code}`,
      { cause: err },
    );
  if (!(err instanceof S3ServiceException) && /socket hang up|connect|network/i.test(err.message))
    return new StoreUnavailableError(`the evidence store ${where} is unavailable: ${err.message}`, { cause: err });
  return undefined;
}

/**
 * Installs the classification on a client (idempotent: a client shared by several stores gets it once).
 * It sits in the `initialize` step, outside the SDK's own retries, so only what those could not fix arrives.
 */
export function classifyStoreFaults(client: S3Client): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        const bucket = (args.input as { Bucket?: unknown }).Bucket;
        throw storeFaultOf(err, typeof bucket === 'string' ? `s3://${bucket}` : 'in S3') ?? err;
      }
    },
    { step: 'initialize', name: 'evidenceHubStoreFaults', override: true },
  );
}
