/**
 * What the activities tell the worker's metrics about their work. Activities record here, never the workflow
 * code: a workflow replays, so a counter bumped there would count every replay again. The worker implements
 * this over its Prometheus registry (worker/metrics.ts); activities only see this interface, so the layers
 * stay in order (activities sit below the worker) and a run without a worker (benchmarks) records nothing.
 */
export interface ActivityMetrics {
  /** One source collected by one activity attempt. */
  sourceCollected(r: {
    source: string;
    sourceType: string;
    artifacts: number;
    /** Bytes of blobs this attempt created (a blob the store already held adds nothing). */
    bytes: number;
    /** Requests the connector made, when it counts them (its `stats.requests`). */
    requests?: number | undefined;
    seconds: number;
    /** When the collection finished (the activity's clock). */
    at: Date;
  }): void;
  /** One collection attempt that failed; `errorClass` is the failure type the retry policy reads. */
  sourceFailed(r: { source: string; sourceType: string; errorClass: string; seconds: number }): void;
  /** A bundle sealed: how long the seal took and how long since the sweep started. */
  bundleSealed(r: { sealSeconds: number; sweepSeconds: number }): void;
}

export const noActivityMetrics: ActivityMetrics = {
  sourceCollected: () => undefined,
  sourceFailed: () => undefined,
  bundleSealed: () => undefined,
};

/** The class a failure is counted under: the error's name (ConnectorError subclasses, StoreFullError, ...). */
export function errorClassOf(err: unknown): string {
  if (err instanceof Error) {
    // ApplicationFailure carries the original class in `type`; plain errors in `name`.
    const type = (err as { type?: unknown }).type;
    return typeof type === 'string' && type.length > 0 ? type : err.name;
  }
  return 'Error';
}
