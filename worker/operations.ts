import type { Logger } from 'pino';
import { startHealthServer, type HealthServer } from './health-server';
import type { Hub } from './hub';
import { HubMetrics } from './metrics';
import { Readiness, storeCheck } from './readiness';
import { defaultMetricsAddress } from '../config/worker-settings';
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
  const serve = (at: string) =>
    startHealthServer({ address: at, registry: metrics.registry, readiness, sdkMetricsUrl: sdk.url, log });
  let server: HealthServer;
  try {
    server = await serve(address);
  } catch (err) {
    // Several workers on one host (or a worker beside `demo --serve`) would all take the default port. An
    // address someone chose must be had or the start fails; the default gives way to a free port, logged.
    if (address !== defaultMetricsAddress || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    server = await serve('127.0.0.1:0');
    log.warn(
      { wanted: address, serving: server.address },
      'the default metrics address is in use; serving on a free port instead (set --metrics-address or worker.metricsAddress)',
    );
  }
  return { metrics, readiness, sdk, server, close: () => server.close() };
}
