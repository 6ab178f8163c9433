import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';
import type { ActivityMetrics } from '../activities/metrics-recorder';
import { countStatuses } from '../alerts/delivery';
import { evaluateStore } from '../evidence/index';
import { statuses, type ControlResult } from '../mappings/evaluate';
import type { Hub } from './hub';

/**
 * The hub's own Prometheus metrics (docs/metrics.md lists them; keep the two in step). Labels are low in
 * cardinality on purpose: a source id (bounded by the config), a source type, an error class, a status.
 * Collection and seal metrics are recorded by the activities through `ActivityMetrics`; the control gauges
 * are evaluated from the store at scrape time, exactly as `evidence-hub status` evaluates them, so the two
 * always agree.
 */
export class HubMetrics implements ActivityMetrics {
  readonly registry = new Registry();
  private readonly artifacts: Counter<'source' | 'source_type'>;
  private readonly bytes: Counter<'source' | 'source_type'>;
  private readonly requests: Counter<'source' | 'source_type'>;
  private readonly duration: Histogram<'source_type'>;
  private readonly failures: Counter<'source' | 'error_class'>;
  private readonly lastSuccess: Gauge<'source'>;
  private readonly sweepDuration: Histogram;
  private readonly sealDuration: Histogram;

  constructor(
    hub: Pick<Hub, 'store' | 'mappings' | 'notApplicable'>,
    log: Logger,
    clock: () => Date = () => new Date(),
  ) {
    const r = this.registry;
    collectDefaultMetrics({ register: r, prefix: 'evidence_hub_' });
    // prom-client names three gauges `*_total`, which Prometheus reserves for counters (promtool rejects them).
    for (const gauge of ['active_handles_total', 'active_requests_total', 'active_resources_total'])
      r.removeSingleMetric(`evidence_hub_nodejs_${gauge}`);
    this.artifacts = new Counter({
      name: 'evidence_hub_artifacts_collected_total',
      help: 'Artifacts collected into the store, per source.',
      labelNames: ['source', 'source_type'],
      registers: [r],
    });
    this.bytes = new Counter({
      name: 'evidence_hub_collected_bytes_total',
      help: 'Bytes of new blobs written to the store by collection, per source (deduplicated content adds nothing).',
      labelNames: ['source', 'source_type'],
      registers: [r],
    });
    this.requests = new Counter({
      name: 'evidence_hub_source_requests_total',
      help: 'Requests made to the source system by its connector, for connectors that count them.',
      labelNames: ['source', 'source_type'],
      registers: [r],
    });
    this.duration = new Histogram({
      name: 'evidence_hub_collection_duration_seconds',
      help: 'Duration of one collection attempt of one source, successful or not.',
      labelNames: ['source_type'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
      registers: [r],
    });
    this.failures = new Counter({
      name: 'evidence_hub_collection_failures_total',
      help: 'Failed collection attempts, per source and error class (the failure type the retry policy reads).',
      labelNames: ['source', 'error_class'],
      registers: [r],
    });
    this.lastSuccess = new Gauge({
      name: 'evidence_hub_last_successful_collection_timestamp_seconds',
      help: 'Unix time of the last successful collection of each source by this worker process.',
      labelNames: ['source'],
      registers: [r],
    });
    this.sweepDuration = new Histogram({
      name: 'evidence_hub_sweep_duration_seconds',
      help: 'From the start of a sweep to its bundle being sealed.',
      buckets: [1, 10, 60, 300, 900, 1800, 3600, 7200, 21600],
      registers: [r],
    });
    this.sealDuration = new Histogram({
      name: 'evidence_hub_seal_duration_seconds',
      help: 'Duration of sealing one bundle (manifest, signature, chain commit).',
      buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [r],
    });
    // Evaluated on each scrape, from the store as it is now. prom-client collects all metrics of a scrape in
    // parallel, so the three gauges share one evaluation (one scrape = one evaluation, one `now`).
    let shared: { at: number; result: Promise<ControlResult[] | undefined> } | undefined;
    const evaluation = (): Promise<ControlResult[] | undefined> => {
      if (shared && performance.now() - shared.at < 1_000) return shared.result;
      const result = evaluateStore(hub.store, hub.mappings, hub.notApplicable, clock()).catch((err: unknown) => {
        // A store that cannot be read is /readyz's to report; the scrape itself still answers.
        log.warn(
          { err: { type: (err as Error).name, message: (err as Error).message } },
          'metrics: controls not evaluated',
        );
        return undefined;
      });
      shared = { at: performance.now(), result };
      return result;
    };
    const controls: Gauge<'status'> = new Gauge({
      name: 'evidence_hub_controls',
      help: 'Controls per status, evaluated from the store at scrape time (as `evidence-hub status` does).',
      labelNames: ['status'],
      registers: [r],
      collect: async () => {
        controls.reset();
        const results = await evaluation();
        if (!results) return;
        const counts = countStatuses(results);
        for (const status of statuses) controls.set({ status }, counts[status] ?? 0);
      },
    });
    const nextStale: Gauge = new Gauge({
      name: 'evidence_hub_next_stale_seconds',
      help: 'Seconds until the nearest future due date of any control, when its evidence goes stale (+Inf: none).',
      registers: [r],
      collect: async () => {
        const results = await evaluation();
        // NaN, not 0, when the store could not be read: 0 would read as "a control goes stale now".
        nextStale.set(results ? secondsUntilNextStale(results, clock()) : NaN);
      },
    });
    const evaluationUp: Gauge = new Gauge({
      name: 'evidence_hub_controls_evaluation_up',
      help: '1 when the control gauges of this scrape were evaluated from the store, 0 when the store could not be read.',
      registers: [r],
      collect: async () => evaluationUp.set((await evaluation()) ? 1 : 0),
    });
  }

  sourceCollected(c: Parameters<ActivityMetrics['sourceCollected']>[0]): void {
    const labels = { source: c.source, source_type: c.sourceType };
    this.artifacts.inc(labels, c.artifacts);
    this.bytes.inc(labels, c.bytes);
    if (c.requests !== undefined) this.requests.inc(labels, c.requests);
    this.duration.observe({ source_type: c.sourceType }, c.seconds);
    this.lastSuccess.set({ source: c.source }, c.at.getTime() / 1000);
  }

  sourceFailed(f: Parameters<ActivityMetrics['sourceFailed']>[0]): void {
    this.failures.inc({ source: f.source, error_class: f.errorClass });
    this.duration.observe({ source_type: f.sourceType }, f.seconds);
  }

  bundleSealed(s: Parameters<ActivityMetrics['bundleSealed']>[0]): void {
    this.sealDuration.observe(s.sealSeconds);
    this.sweepDuration.observe(s.sweepSeconds);
  }
}

/** The nearest future `dueAt` of any control, in seconds from `now`; +Inf when no control has one. */
export function secondsUntilNextStale(results: readonly ControlResult[], now: Date): number {
  let next = Infinity;
  for (const r of results) {
    if (r.dueAt === undefined) continue;
    const ms = Date.parse(r.dueAt) - now.getTime();
    if (ms > 0 && ms < next) next = ms;
  }
  return next / 1000;
}
