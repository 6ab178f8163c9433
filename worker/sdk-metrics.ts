import { createServer } from 'node:net';
import type { TelemetryOptions } from '@temporalio/worker';

/**
 * The Temporal SDK's own runtime metrics (task slots, poll latencies, activity and workflow task counts ...).
 * The SDK 1.24 can export them only through its own Prometheus endpoint (or OTLP), so it is bound to a free
 * loopback port that nothing else sees, and each scrape of our /metrics fetches it and appends it: one
 * address to scrape, one exposition. The options make its names pass `promtool check metrics` (counters end
 * in `_total`, durations in seconds with the unit in the name).
 */
export interface SdkMetricsEndpoint {
  telemetryOptions: TelemetryOptions;
  url: string;
}

export async function sdkMetricsEndpoint(): Promise<SdkMetricsEndpoint> {
  const port = await freeLoopbackPort();
  return {
    telemetryOptions: {
      metrics: {
        metricPrefix: 'temporal_',
        prometheus: {
          bindAddress: `127.0.0.1:${port}`,
          countersTotalSuffix: true,
          unitSuffix: true,
          useSecondsForDurations: true,
        },
      },
    },
    url: `http://127.0.0.1:${port}/metrics`,
  };
}

/**
 * The SDK's exposition, or '' when it cannot be had (the runtime was created before ours, e.g. by a test
 * environment, or its exporter is not up yet): our own metrics are still served.
 */
export async function fetchSdkMetrics(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    if (!res.ok) return '';
    const text = await res.text();
    return text.endsWith('\n') || text === '' ? text : `${text}\n`;
  } catch {
    return '';
  }
}

/** A port free right now on 127.0.0.1 (the SDK's exporter cannot report the port it chose for :0). */
function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
