import { defaultPayloadConverter, fromPayloadsAtIndex, type Payload, type PayloadConverter } from '@temporalio/common';

/**
 * Heartbeat details: enough to resume a retried attempt at its last durable checkpoint, plus the
 * connector's counters, which `sweep --wait` shows as live progress. The collection activity writes it;
 * the CLI reads it back from a pending activity, so both share this one declaration.
 */
export interface CollectCheckpoint {
  source: string;
  cursor: string;
  offset: number;
  count: number;
  stats?: Record<string, number>;
}

/**
 * The checkpoint in a pending activity's heartbeat details (as a workflow's `describe()` returns them),
 * decoded by the payload converter that encoded it. Undefined before the first checkpoint, and for the
 * other activities, whose heartbeats carry no details.
 */
export function checkpointFromHeartbeat(
  payloads: Payload[] | null | undefined,
  converter: PayloadConverter = defaultPayloadConverter,
): CollectCheckpoint | undefined {
  let details: Partial<CollectCheckpoint> | undefined;
  try {
    details = fromPayloadsAtIndex<Partial<CollectCheckpoint> | undefined>(converter, 0, payloads);
  } catch {
    // Not a payload this converter knows: not one of ours.
    return undefined;
  }
  return details?.source && typeof details.count === 'number' ? (details as CollectCheckpoint) : undefined;
}
