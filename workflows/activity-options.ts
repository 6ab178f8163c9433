import type { ActivityOptions } from '@temporalio/workflow';
import { nonRetryableErrorTypes } from '../core/errors';

/**
 * Activity options, declared once. Collection heartbeats its checkpoint, so a worker that dies is noticed
 * within `heartbeatTimeout` and the retry resumes where the last checkpoint left off.
 */
export const collectOptions: ActivityOptions = {
  startToCloseTimeout: '6h',
  heartbeatTimeout: '10s',
  retry: {
    initialInterval: '2s',
    backoffCoefficient: 2,
    maximumInterval: '2m',
    maximumAttempts: 6,
    nonRetryableErrorTypes,
  },
};

/**
 * Planning and sealing only touch local config and the store. They heartbeat, so a worker that dies
 * while sealing is noticed in seconds, not after the start-to-close timeout.
 */
export const storeOptions: ActivityOptions = {
  startToCloseTimeout: '15m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 10, nonRetryableErrorTypes },
};

/** Alerting: evaluation plus Slack posts; a long Retry-After sleeps inside the activity, which heartbeats. */
export const alertOptions: ActivityOptions = {
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  retry: {
    initialInterval: '5s',
    maximumInterval: '5m',
    maximumAttempts: 10,
    nonRetryableErrorTypes: [...nonRetryableErrorTypes, 'SlackMessageError'],
  },
};

/** Integrity verification: a full run hashes every blob (hours on a large store); it heartbeats meanwhile. */
export const integrityOptions: ActivityOptions = {
  startToCloseTimeout: '12h',
  heartbeatTimeout: '1m',
  retry: {
    initialInterval: '30s',
    maximumInterval: '10m',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [...nonRetryableErrorTypes, 'SlackMessageError'],
  },
};

/**
 * Operations notices (a sweep stopped on a store fault): a few quick tries, so a Slack outage never keeps a
 * failed sweep open for long; the fault is in the worker's log and the sweep's failure either way.
 */
export const operationsOptions: ActivityOptions = {
  startToCloseTimeout: '1m',
  retry: {
    initialInterval: '2s',
    maximumInterval: '10s',
    maximumAttempts: 3,
    nonRetryableErrorTypes: [...nonRetryableErrorTypes, 'SlackMessageError'],
  },
};
