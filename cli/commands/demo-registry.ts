import type { ConfigOverrides, SourceConfig } from '../../config/config';
import { mlflowSourceSchema } from '../../connectors/mlflow/config';
import { UsageError } from '../command-kit';

/** The id the optional registry source gets in the demo's config. */
export const demoRegistrySourceId = 'model-registry';

export interface DemoRegistryOptions {
  store?: string;
  /** `--with-mlflow URL`: add an MLflow tracking server as a registry source. Off by default. */
  withMlflow?: string;
  /** `--mlflow-metrics a,b`: the validation metrics its production versions must have logged. */
  mlflowMetrics?: string;
}

/**
 * The demo's config overrides: its --store, and the registry source when asked for. The registry is off by
 * default so that the demo needs nothing but Node; with it, the MLflow pack loads as for any configured source.
 */
export function demoConfigOverrides(o: DemoRegistryOptions, env: NodeJS.ProcessEnv = process.env): ConfigOverrides {
  return {
    ...(o.store ? { store: o.store } : {}),
    ...(o.withMlflow !== undefined
      ? { extraSources: [demoMlflowSource(o.withMlflow, o.mlflowMetrics ?? 'accuracy', env)] }
      : {}),
  };
}

/**
 * Credentials come from MLflow's own variables, by reference (the worker resolves them; a command line would
 * show them in `ps`): MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD, or MLFLOW_TRACKING_TOKEN.
 */
function demoMlflowSource(url: string, metrics: string, env: NodeJS.ProcessEnv): SourceConfig {
  const auth =
    env['MLFLOW_TRACKING_PASSWORD'] !== undefined
      ? {
          type: 'basic',
          username: { env: 'MLFLOW_TRACKING_USERNAME' },
          password: { env: 'MLFLOW_TRACKING_PASSWORD' },
        }
      : env['MLFLOW_TRACKING_TOKEN'] !== undefined
        ? { type: 'bearer', token: { env: 'MLFLOW_TRACKING_TOKEN' } }
        : { type: 'none' };
  const parsed = mlflowSourceSchema.safeParse({
    id: demoRegistrySourceId,
    type: 'mlflow',
    url,
    auth,
    metrics: {
      validation: metrics
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean),
    },
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new UsageError(`--with-mlflow ${url}: ${problems}`);
  }
  return parsed.data;
}
