import { StoreAccessError, StoreUnavailableError, type StoreFault } from '../../core/errors';

/** Node network failures: nothing answered, or the answer never finished (every store's SDK reports these). */
export const nodeNetworkCodes = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
] as const;

/** Plus the Azure SDK's name for a request that never got out. */
const networkCodes = new Set<string>([...nodeNetworkCodes, 'REQUEST_SEND_ERROR']);

/**
 * The store fault an Azure or GCS SDK error stands for (the S3 store has its own, s3-faults.ts), or undefined
 * when it is an ordinary answer (404, 409/412 of a conditional create) the store reads itself. `status` is
 * the HTTP status the SDK put on the error; `hint` names the config to check.
 */
export function httpStoreFaultOf(
  err: unknown,
  status: number | undefined,
  where: string,
  hint: string,
): StoreFault | undefined {
  if (!(err instanceof Error) || err.name === 'AbortError') return undefined;
  if (err instanceof StoreAccessError || err instanceof StoreUnavailableError) return err;
  const code = String((err as { code?: unknown }).code ?? err.name);
  // Azure appends RequestId and Time lines to its messages: the first line says what went wrong.
  const message = err.message.split('\n')[0]!.trim();
  if (status === 401 || status === 403)
    return new StoreAccessError(`the evidence store ${where} refused access (${status}: ${message}); check ${hint}`, {
      cause: err,
    });
  if (
    networkCodes.has(code) ||
    (status !== undefined && status >= 500) ||
    /socket hang up|ECONNREFUSED/.test(err.message)
  )
    return new StoreUnavailableError(`the evidence store ${where} is unavailable: ${message || code}`, {
      cause: err,
    });
  return undefined;
}
