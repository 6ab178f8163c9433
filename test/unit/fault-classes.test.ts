import { S3ServiceException } from '@aws-sdk/client-s3';
import { ServiceError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { failureChain, isConnectionLoss } from '../../cli/sweep-failure';
import { configDifferences, summarizeConfig } from '../../core/config-digest';
import { nonRetryableErrorTypes, StoreAccessError, StoreUnavailableError } from '../../core/errors';
import { storeFaultOf } from '../../evidence/s3-faults';

const s3Error = (name: string, status: number) =>
  new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: `${name} said`,
  });

describe('store faults (evidence/s3-faults.ts)', () => {
  it('a refused secret or access is a StoreAccessError, never retried', () => {
    for (const [name, status] of [
      ['SignatureDoesNotMatch', 403],
      ['InvalidAccessKeyId', 403],
      ['AccessDenied', 403],
      ['NoSuchBucket', 404],
      ['Forbidden', 403],
    ] as const) {
      const fault = storeFaultOf(s3Error(name, status), 's3://b');
      expect(fault, name).toBeInstanceOf(StoreAccessError);
      expect(fault!.message).toContain('s3://b refused access');
      expect(fault!.retryable).toBe(false);
    }
    expect(nonRetryableErrorTypes).toContain('StoreAccessError');
  });

  it('no answer or a 5xx is a StoreUnavailableError (retried); ordinary answers pass through', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
    expect(storeFaultOf(refused, 's3://b')).toBeInstanceOf(StoreUnavailableError);
    expect(storeFaultOf(s3Error('InternalError', 500), 's3://b')).toBeInstanceOf(StoreUnavailableError);
    expect(storeFaultOf(s3Error('ServiceUnavailable', 503), 's3://b')!.retryable).toBe(true);
    expect(storeFaultOf(s3Error('NoSuchKey', 404), 's3://b')).toBeUndefined();
    expect(storeFaultOf(s3Error('PreconditionFailed', 412), 's3://b')).toBeUndefined();
    expect(storeFaultOf(Object.assign(new Error('aborted'), { name: 'AbortError' }), 's3://b')).toBeUndefined();
  });
});

describe('what sweep --wait reports (cli/sweep-failure.ts)', () => {
  it('the failure chain skips the SDK wrappers and keeps the cause raised in the activity', () => {
    const cause = ApplicationFailure.nonRetryable(
      'unknown source(s) extra; configured in x.yaml: docs',
      'SourceConfigError',
    );
    const wrapped = new ActivityFailure(
      'Activity task failed',
      'planSweep',
      '1',
      RetryState.NON_RETRYABLE_FAILURE,
      'w',
      cause,
    );
    expect(failureChain(wrapped)).toBe('SourceConfigError: unknown source(s) extra; configured in x.yaml: docs');
  });

  it('only a lost connection is waited out, not a refusal', () => {
    expect(
      isConnectionLoss(new ServiceError('x', { cause: Object.assign(new Error('unavailable'), { code: 14 }) })),
    ).toBe(true);
    expect(isConnectionLoss(new ServiceError('x', { cause: Object.assign(new Error('denied'), { code: 7 }) }))).toBe(
      false,
    );
    expect(isConnectionLoss(new Error('plain'))).toBe(false);
  });
});

const src = (id: string, path: string) => ({ id, path });

describe('config digests (core/config-digest.ts)', () => {
  it('names the sources added, removed and changed, and the sections that differ', () => {
    const before = summarizeConfig({
      sources: [src('docs', './org'), src('old', './old')],
      store: { path: './store' },
      file: '/a/evidence-hub.yaml',
    });
    const same = summarizeConfig({
      sources: [src('docs', './org'), src('old', './old')],
      store: { path: './store' },
      file: '/b/elsewhere.yaml',
    });
    expect(configDifferences(before, same)).toEqual([]);
    const now = summarizeConfig({
      sources: [src('docs', './org2'), src('extra', './new')],
      store: { path: './other' },
    });
    expect(configDifferences(before, now)).toEqual([
      'sources added here, unknown to the worker (not collected): extra',
      'sources removed here, still collected by the worker: old',
      'sources changed here, the worker runs their old settings: docs',
      'sections that differ: store',
    ]);
  });
});
