import type { Logger } from 'pino';
import { startHealthServer, type HealthServer } from './health-server';
import type { Hub } from './hub';
import { HubMetrics } from './metrics';
import { Readiness, storeCheck } from './readiness';
import { sdkMetricsEndpoint, type SdkMetricsEndpoint } from './sdk-metrics';

/** What a worker process (or `demo --serve`) runs beside its Temporal worker: metrics, health, readiness. */
export interface Operations {
  metrics: HubMetrics;
  readiness: Readiness;
  /** Pass `sdk.telemetryOptions` to installTemporalLogging before anything creates the SDK's runtime. */
  sdk: SdkMetricsEndpoint;
  server: HealthServer;
  close(): Promise<void>;
}

/**
 * Starts serving /metrics, /healthz and /readyz on `address` before the worker connects, so an orchestrator
 * sees "alive, not ready yet (and why)" during a slow start instead of a refused connection. The store check
 * is set here; the caller sets `signing-key` and `temporal` as it gets them (worker/readiness.ts).
 */
export async function startOperations(hub: Hub, log: Logger, address: string): Promise<Operations> {
  const metrics = new HubMetrics(hub, log);
  const readiness = new Readiness().set('store', storeCheck(hub.store));
  const sdk = await sdkMetricsEndpoint();
  const server = await startHealthServer({
    address,
    registry: metrics.registry,
    readiness,
    sdkMetricsUrl: sdk.url,
    log,
  });
  return { metrics, readiness, sdk, server, close: () => server.close() };
}
