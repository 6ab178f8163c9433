import { z } from 'zod';

export const defaultMetricsAddress = '127.0.0.1:9464';
export const defaultShutdownGrace = '30s';

/** `host:port` with a numeric port; `[::1]:9464` for IPv6. */
export const listenAddressSchema = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9464 or 0.0.0.0:9464');

export const shutdownGraceSchema = z.string().regex(/^\d+(ms|s|m)$/, 'expected a duration such as 500ms, 30s or 2m');

/**
 * `worker:` in the config: how the worker process itself runs (the command-line flags `--metrics-address` and
 * `--shutdown-grace` win over these).
 */
export const workerSettingsSchema = z.strictObject({
  /** Where /metrics, /healthz and /readyz are served (worker/health-server.ts, docs/metrics.md). */
  metricsAddress: listenAddressSchema.default(defaultMetricsAddress),
  /** After SIGTERM: how long running activities may finish before they hand over at their checkpoint. */
  shutdownGrace: shutdownGraceSchema.default(defaultShutdownGrace),
});

export type WorkerSettings = z.infer<typeof workerSettingsSchema>;
