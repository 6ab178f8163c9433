import { Context } from '@temporalio/activity';
import type { Logger } from 'pino';
import { connectorFor } from '../connectors/registry';
import { artifactId, type ArtifactRecord } from '../evidence/manifest';
import { createRedactor, summarizeRedaction } from '../evidence/redaction';
import type { EvidenceStore } from '../evidence/store';
import type { SourceConfig } from '../connectors';
import type { ActivityConfig } from './activity-config';
import type { CollectCheckpoint } from './collect-checkpoint';
import { handoverFailure, workerShuttingDown } from './shutdown-handover';

export interface CollectRequest {
  bundleId: string;
  source: string;
  /** Collect only what changed since this time (RFC 3339), where the connector supports it. */
  since?: string;
}

/** What goes back into workflow history: counts and names, never evidence bytes. */
export interface CollectResult {
  source: string;
  sourceType: string;
  artifactCount: number;
  stats: Record<string, number>;
  /** Non-fatal problems (capped): the source's evidence is kept, its controls flagged. */
  problems: string[];
  blobsCreated: number;
  bytesWritten: number;
  resumedAfter?: string;
}

const checkpointEvery = { artifacts: 100, ms: 2_000 };

/**
 * Streams one source's artifacts into the store: each blob is hashed and fsynced, each record appended to
 * the bundle's staging file, and the position heartbeated. A retry after a crash truncates staging to
 * the last checkpoint and continues from its cursor, so nothing is collected twice or lost.
 */
export async function collectInto(
  store: EvidenceStore,
  config: Pick<ActivityConfig, 'baseDir' | 'redaction'>,
  source: SourceConfig,
  req: CollectRequest,
  log: Logger,
  clock: () => Date,
): Promise<CollectResult> {
  const ctx = activityContext();
  const resume = ctx?.info.heartbeatDetails as CollectCheckpoint | undefined;
  const connector = await connectorFor(source, config);
  const redactor = createRedactor(config.redaction);
  const staging = await store.openStaging(req.bundleId, source.id, resume?.offset ?? 0);
  let count = resume?.count ?? 0;
  let blobsCreated = 0;
  let redactions = 0;
  let bytesWritten = 0;
  let sinceCheckpoint = 0;
  let lastCheckpoint = Date.now();
  let cursor = resume?.cursor;
  const previousState = await store.readSourceState(source.id);
  if (resume)
    log.info({ source: source.id, resumeAfter: resume.cursor, count }, 'resuming collection after checkpoint');
  // A single large blob can take longer than the heartbeat timeout; keep re-sending the last checkpoint
  // so the server knows the attempt is alive without claiming progress that is not yet durable.
  let lastDetails: CollectCheckpoint | undefined = resume;
  const keepAlive = setInterval(() => ctx?.heartbeat(lastDetails), 3_000);
  try {
    const steps = connector.collect({
      log,
      openStoredBlob: (sha256) => store.openBlob(sha256),
      ...(resume ? { resumeAfter: resume.cursor } : {}),
      ...(ctx ? { signal: ctx.cancellationSignal } : {}),
      ...(previousState !== undefined ? { previousState } : {}),
      ...(req.since ? { since: new Date(req.since) } : {}),
    });
    for await (const step of steps) {
      const { meta } = step.artifact;
      const id = artifactId(source.id, meta.externalId);
      // Secrets are removed before hashing, so the stored hash is the hash of the stored bytes, and no
      // secret ever reaches the store. A blob re-emitted from the store is already redacted: unchanged.
      const redacted = redactor.redact(step.artifact.open(), meta.mediaType, id);
      const blob = await store.putBlob(redacted.stream);
      const redaction = redacted.report();
      if (redaction.total > 0) {
        redactions += redaction.total;
        log.info(
          { artifact: id, redactions: redaction.total, rules: redaction.byRule.map((h) => h.rule) },
          'redacted secrets before storing',
        );
      }
      const record: ArtifactRecord = {
        id,
        source: source.id,
        sourceType: connector.type,
        kind: meta.kind,
        externalId: meta.externalId,
        observedAt: new Date(meta.observedAt).toISOString(),
        collectedAt: clock().toISOString(),
        sha256: blob.sha256,
        size: blob.size,
        mediaType: meta.mediaType,
        attributes: meta.attributes,
        provenance: meta.provenance,
        redaction: summarizeRedaction(redaction),
      };
      await staging.append(record);
      count++;
      sinceCheckpoint++;
      cursor = step.cursor;
      if (blob.created) {
        blobsCreated++;
        bytesWritten += blob.size;
      }
      const handover = workerShuttingDown(ctx);
      // On a handover, everything staged so far becomes the checkpoint the next attempt resumes from.
      if (
        handover ||
        sinceCheckpoint >= checkpointEvery.artifacts ||
        Date.now() - lastCheckpoint >= checkpointEvery.ms
      ) {
        lastDetails = {
          source: source.id,
          cursor,
          offset: await staging.checkpoint(),
          count,
          stats: connector.stats?.() ?? {},
        };
        ctx?.heartbeat(lastDetails);
        sinceCheckpoint = 0;
        lastCheckpoint = Date.now();
      }
      if (handover) throw handoverFailure(source.id, count);
    }
  } catch (err) {
    // A connector that honours the cancellation signal throws its own abort error: still a handover, at the
    // last heartbeated checkpoint.
    if (workerShuttingDown(ctx) && (err as { type?: unknown }).type !== 'WorkerShutdown')
      throw handoverFailure(source.id, lastDetails?.count ?? 0);
    throw err;
  } finally {
    clearInterval(keepAlive);
    await staging.close();
  }
  const state = connector.state?.();
  if (state !== undefined) await store.stageSourceState(req.bundleId, source.id, state);
  return {
    source: source.id,
    sourceType: connector.type,
    artifactCount: count,
    stats: { ...(connector.stats?.() ?? {}), ...(redactions > 0 ? { redactions } : {}) },
    problems: (connector.problems?.() ?? []).slice(0, 10).map((p) => (p.length > 1000 ? `${p.slice(0, 997)}...` : p)),
    blobsCreated,
    bytesWritten,
    ...(resume ? { resumedAfter: resume.cursor } : {}),
  };
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside Temporal (benchmarks, direct runs)
  }
}
