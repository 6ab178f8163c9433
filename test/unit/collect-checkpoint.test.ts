import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { checkpointFromHeartbeat, type CollectCheckpoint } from '../../activities/collect-checkpoint';

describe('checkpointFromHeartbeat', () => {
  const checkpoint: CollectCheckpoint = {
    source: 'gh',
    cursor: 'repo-7',
    offset: 4096,
    count: 250,
    stats: { requests: 31 },
  };

  it('decodes the details the collection activity heartbeats, as the payload converter encoded them', () => {
    expect(checkpointFromHeartbeat([defaultPayloadConverter.toPayload(checkpoint)])).toEqual(checkpoint);
  });

  it('is undefined for heartbeats without a checkpoint: none yet, no details, or another activity', () => {
    expect(checkpointFromHeartbeat(undefined)).toBeUndefined();
    expect(checkpointFromHeartbeat(null)).toBeUndefined();
    expect(checkpointFromHeartbeat([])).toBeUndefined();
    // The keep-alive heartbeat before the first checkpoint sends `undefined`.
    expect(checkpointFromHeartbeat([defaultPayloadConverter.toPayload(undefined)])).toBeUndefined();
    expect(checkpointFromHeartbeat([defaultPayloadConverter.toPayload({ phase: 'sealing' })])).toBeUndefined();
    expect(
      checkpointFromHeartbeat([{ metadata: { encoding: new TextEncoder().encode('x/unknown') } }]),
    ).toBeUndefined();
  });
});
