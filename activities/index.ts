import { ApplicationFailure } from '@temporalio/activity';
import type { Logger } from 'pino';
import { ConnectorError, StoreFault } from '../core/errors';
import { sealBundle, type BundleRequest, type BundleSummary } from '../evidence/bundle';
import { StoreFullError } from '../core/errors';
import type { Signer } from '../evidence/signing';
import { assertCurrentSigner } from '../evidence/trust/signer-check';
import type { EvidenceStore } from '../evidence/store';
import type { MappingSet } from '../mappings/load';
import { InputError } from '../core/yaml-source';
import type { ActivityConfig } from './activity-config';
import { collectInto, type CollectRequest, type CollectResult } from './collect';
import { Context } from '@temporalio/activity';
import { evaluateStoreCatalogs } from '../evidence/index';
import { clausesMapped } from '../mappings/readiness';
import type { CatalogName } from '../mappings/catalog';
import type { NotApplicable } from '../mappings/load';
import { alertPolicyWithConsole, annexAIds } from './alert-policy';
import { decidingRecords } from './alert-records';
import { countStatuses, deliverAlerts } from '../alerts/delivery';
import { AlertDeliveryError } from '../alerts/errors';
import type { SlackNotifier } from '../alerts/slack-notifier';
import type { AlertStateStore } from '../evidence/alert-state';
import { buildWitnesses, type Witnesses } from '../evidence/witness/config';
import { witnessPending } from '../evidence/witness/run';
import { witnessChecks } from '../evidence/witness/config';
import { verifyIntegrity as checkIntegrity } from '../evidence/integrity';
import { integrityAlert } from '../alerts/integrity';
import { errorClassOf, noActivityMetrics, type ActivityMetrics } from './metrics-recorder';
import { operationsRoute } from '../alerts/operations';
import { createOperationsActivities } from './operations';
import { runReadinessDigest, type ReadinessDigestResult } from './readiness-digest';

export type { CollectRequest, CollectResult } from './collect';
export type { BundleRequest, BundleSummary } from '../evidence/bundle';

export interface ActivityDeps {
  config: ActivityConfig;
  store: EvidenceStore & AlertStateStore;
  key: Signer;
  mappings: MappingSet;
  notApplicable: NotApplicable[];
  log: Logger;
  /** Built once per worker from `alerts.slack`, so the token never passes through Temporal. */
  notifier?: SlackNotifier;
  /** The checkpoint witnesses; built from `witness:` in the config on first use when not given. */
  witnesses?: Witnesses;
  clock?: () => Date;
  /** The worker's metrics (worker/metrics.ts); nothing is recorded when absent. */
  metrics?: ActivityMetrics;
}

export interface AlertRunResult {
  posted: number;
  skipped: number;
  counts: Record<string, number>;
}

/** What an integrity run found: counts and classes only, never evidence bytes (it travels through Temporal). */
export interface IntegritySummary {
  mode: 'incremental' | 'full';
  ok: boolean;
  fromSequence: number;
  toSequence: number;
  bundlesChecked: number;
  blobsChecked: number;
  problems: Record<string, number>;
  /** A Slack alert was posted for this run. */
  alerted: boolean;
}

export interface SourcePlan {
  id: string;
  type: string;
}

/**
 * The activities are thin: each wires a connector, the store and the mappings together. Dependencies are
 * created once per worker and closed over, so secrets and file handles never pass through Temporal.
 */
export function createActivities(deps: ActivityDeps) {
  const clock = deps.clock ?? (() => new Date());
  const metrics = deps.metrics ?? noActivityMetrics;
  let witnesses: Promise<Witnesses> | undefined;
  /**
   * Sends every checkpoint a witness does not hold yet (evidence/witness/run.ts). Never throws: a witness
   * that is down leaves its checkpoints pending for the next run, it never fails or blocks a seal.
   */
  const witnessAll = async (): Promise<void> => {
    if (!deps.witnesses && !deps.config.witness) return;
    const log = deps.log.child({ activity: 'witness' });
    try {
      witnesses ??= deps.witnesses
        ? Promise.resolve(deps.witnesses)
        : buildWitnesses(deps.config.witness, deps.config.baseDir);
      const state = await witnessPending(deps.store, await witnesses, log, clock);
      const pending = (state?.tsa?.pending.length ?? 0) + (state?.s3?.pending.length ?? 0);
      if (pending > 0) log.warn({ tsa: state?.tsa?.pending, s3: state?.s3?.pending }, 'checkpoints pending a witness');
    } catch (err) {
      witnesses = undefined; // e.g. a witness secret not readable yet: build again next time
      log.error({ err: describe(err) }, 'witnessing failed; checkpoints stay pending');
    }
  };
  return {
    ...createOperationsActivities(deps),
    /** Resolves which configured sources a sweep runs. Unknown names fail the sweep before it starts. */
    async planSweep(req: { sources?: string[] }): Promise<SourcePlan[]> {
      const all = deps.config.sources;
      if (!req.sources || req.sources.length === 0) return all.map((s) => ({ id: s.id, type: s.type }));
      const unknown = req.sources.filter((id) => !all.some((s) => s.id === id));
      if (unknown.length > 0) {
        throw ApplicationFailure.nonRetryable(
          `unknown source(s) ${unknown.join(', ')}; configured in ${deps.config.file}: ${all.map((s) => s.id).join(', ')}`,
          'SourceConfigError',
        );
      }
      return all.filter((s) => req.sources!.includes(s.id)).map((s) => ({ id: s.id, type: s.type }));
    },

    async collectSource(req: CollectRequest): Promise<CollectResult> {
      const source = deps.config.sources.find((s) => s.id === req.source);
      if (!source)
        throw ApplicationFailure.nonRetryable(
          `source "${req.source}" is not in ${deps.config.file}`,
          'SourceConfigError',
        );
      const log = deps.log.child({ activity: 'collectSource', source: req.source, bundleId: req.bundleId });
      const started = performance.now();
      const seconds = () => (performance.now() - started) / 1000;
      try {
        const result = await collectInto(deps.store, deps.config, source, req, log, clock);
        log.info(
          { artifacts: result.artifactCount, blobsCreated: result.blobsCreated, bytes: result.bytesWritten },
          'source collected',
        );
        metrics.sourceCollected({
          source: source.id,
          sourceType: source.type,
          artifacts: result.artifactCount,
          bytes: result.bytesWritten,
          requests: result.stats['requests'],
          seconds: seconds(),
          at: clock(),
        });
        return result;
      } catch (err) {
        log.error({ err: describe(err) }, 'source collection failed');
        const failure = toFailure(err);
        metrics.sourceFailed({
          source: source.id,
          sourceType: source.type,
          errorClass: errorClassOf(failure),
          seconds: seconds(),
        });
        throw failure;
      }
    },

    /** Drops a cancelled sweep's staged records; blobs stay (they are content-addressed and may be shared). */
    async discardStaging(req: { bundleId: string }): Promise<void> {
      const stop = keepAlive();
      try {
        await deps.store.removeStaging(req.bundleId);
      } catch (err) {
        // The store is down or refuses access: the sweep is failing because of it, and retrying the cleanup
        // for minutes would only delay that report. The orphaned staging is inert (its bundle id is never reused).
        if (!(err instanceof StoreFault)) throw err;
        deps.log.warn({ err: describe(err), bundleId: req.bundleId }, 'staging left behind: the store failed');
      } finally {
        stop();
      }
    },

    /**
     * Evaluates every control as of `now` (the monitor workflow's time, so a retry plans the same
     * instant) and posts the transitions to Slack (alerts/delivery.ts).
     */
    async runAlerts(req: { now: string }): Promise<AlertRunResult> {
      const now = new Date(req.now);
      const stop = keepAlive();
      try {
        // Before the first sweep has sealed there is nothing to report on: every control would read as
        // missing and the owners would be told so ("38 missing") the moment a worker starts.
        if ((await deps.store.head()) === undefined) {
          deps.log.info('no bundle sealed yet: alerts wait for the first sweep');
          return { posted: 0, skipped: 0, counts: {} };
        }
        // The management-system clauses alert like controls when the pack maps them (clausesMapped); their
        // ids (9.3) never collide with Annex A's, so the alert state keys of existing controls stay the same.
        const catalogs: CatalogName[] = clausesMapped(deps.mappings) ? ['annex-a', 'clauses'] : ['annex-a'];
        const byCatalog = await evaluateStoreCatalogs(deps.store, deps.mappings, deps.notApplicable, now, catalogs);
        const results = catalogs.flatMap((c) => byCatalog[c] ?? []);
        const counts = countStatuses(results);
        if (!deps.config.alerts || !deps.notifier) return { posted: 0, skipped: 0, counts };
        const policy = alertPolicyWithConsole(deps.config, annexAIds(deps.mappings));
        const sent = await deliverAlerts({
          results,
          now,
          policy,
          notifier: deps.notifier,
          store: deps.store,
          records: (ids) => decidingRecords(deps.store, ids, deps.log),
        });
        deps.log.info({ ...sent, counts }, 'alerts evaluated');
        return { ...sent, counts };
      } catch (err) {
        deps.log.error({ err: describe(err) }, 'alerting failed');
        throw toFailure(err);
      } finally {
        stop();
      }
    },

    /** Readiness digests due before the calendar's audits (activities/readiness-digest.ts). */
    async runReadinessDigest(req: { now: string }): Promise<ReadinessDigestResult> {
      const stop = keepAlive();
      try {
        return await runReadinessDigest(deps, req);
      } catch (err) {
        deps.log.error({ err: describe(err) }, 'readiness digest failed');
        throw toFailure(err);
      } finally {
        stop();
      }
    },

    /**
     * The integrity monitor (evidence/integrity.ts): verifies the bundles sealed since the last verified one
     * (`full`: every blob again), records the result in the store and alerts in Slack when it failed.
     */
    async verifyIntegrity(req: { full: boolean }): Promise<IntegritySummary> {
      const stop = keepAlive();
      const log = deps.log.child({ activity: 'verifyIntegrity', full: req.full });
      try {
        const witnesses = deps.config.witness
          ? await witnessChecks(deps.config.witness, deps.config.baseDir)
          : undefined;
        const run = await checkIntegrity(deps.store, {
          full: req.full,
          now: clock(),
          trust: deps.config.signing.trustedKeys ?? [],
          ...(witnesses ? { witnesses } : {}),
        });
        const summary: IntegritySummary = {
          mode: run.mode,
          ok: run.ok,
          fromSequence: run.fromSequence,
          toSequence: run.toSequence,
          bundlesChecked: run.bundlesChecked,
          blobsChecked: run.blobsChecked,
          problems: run.problems,
          alerted: false,
        };
        if (run.ok) {
          log.info({ ...summary }, 'integrity verified');
          return summary;
        }
        log.error({ ...summary, examples: run.examples }, 'integrity verification FAILED');
        if (deps.config.alerts && deps.notifier) {
          // The operations route (alerts/operations.ts): integrity is the platform team's, not an owner's.
          const ops = operationsRoute(deps.config.alerts);
          await deps.notifier.post(
            integrityAlert(run, deps.store.location, {
              defaultChannel: ops.channel,
              ...(ops.mention ? { defaultMention: ops.mention } : {}),
            }),
          );
          summary.alerted = true;
        }
        return summary;
      } catch (err) {
        log.error({ err: describe(err) }, 'integrity verification could not run');
        throw toFailure(err);
      } finally {
        stop();
      }
    },

    /** Retries checkpoints still pending a witness (also done after every seal); never fails. */
    async witnessPending(): Promise<void> {
      const stop = keepAlive();
      try {
        await witnessAll();
      } finally {
        stop();
      }
    },

    async sealBundle(req: BundleRequest): Promise<BundleSummary> {
      const stop = keepAlive();
      try {
        // With pinned keys (signing.trustedKeys), the key must also be trusted; sealBundle checks it is current.
        const pins = deps.config.signing.trustedKeys ?? [];
        if (pins.length > 0) await assertCurrentSigner(deps.store, deps.key, pins);
        const sealStarted = performance.now();
        // Bookkeeping after the commit point that failed is logged and left for later, never reported as a
        // failed seal (evidence/bundle.ts afterCommit): the bundle is committed.
        const summary = await sealBundle(deps.store, deps.key, deps.mappings, req, clock, (step, err) =>
          deps.log.warn({ err: describe(err), bundleId: req.bundleId, step }, 'sealed; bookkeeping left for later'),
        );
        metrics.bundleSealed({
          sealSeconds: (performance.now() - sealStarted) / 1000,
          sweepSeconds: Math.max(0, (clock().getTime() - Date.parse(req.startedAt)) / 1000),
        });
        deps.log.info(
          { bundleId: summary.bundleId, sequence: summary.sequence, artifacts: summary.artifactCount },
          'bundle sealed',
        );
        // After the seal, never instead of it: the bundle is committed whatever the witnesses do.
        await witnessAll();
        return summary;
      } catch (err) {
        deps.log.error({ err: describe(err), bundleId: req.bundleId }, 'sealing bundle failed');
        throw toFailure(err);
      } finally {
        stop();
      }
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** Known error classes keep their name as the failure type; the retry policy decides from it. */
function toFailure(err: unknown): unknown {
  if (err instanceof ConnectorError || err instanceof AlertDeliveryError || err instanceof StoreFault) {
    return err.retryable
      ? ApplicationFailure.retryable(err.message, err.name)
      : ApplicationFailure.nonRetryable(err.message, err.name);
  }
  if (err instanceof StoreFullError || err instanceof InputError)
    return ApplicationFailure.nonRetryable(err.message, err.name);
  return err;
}

function describe(err: unknown): { type: string; message: string } {
  return err instanceof Error ? { type: err.name, message: err.message } : { type: 'Error', message: String(err) };
}

function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/** Heartbeats every few seconds while a store activity runs, so a dead worker is noticed quickly. */
function keepAlive(): () => void {
  const ctx = activityContext();
  if (!ctx) return () => undefined;
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), 5_000);
  return () => clearInterval(timer);
}
