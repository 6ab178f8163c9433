import { resolveSecret } from '../core/secrets';
import type { ConnectorDescriptor } from './descriptor';
import { connectorDescriptors, type SourceConfig } from './index';
import type { Connector } from './types';

const byType = new Map<string, ConnectorDescriptor>(connectorDescriptors.map((d) => [d.type, d]));

/** The descriptor of a source type; the config schema admits only listed types, so a miss is a bug. */
export function descriptorFor(type: string): ConnectorDescriptor {
  const descriptor = byType.get(type);
  if (!descriptor) throw new Error(`no connector for source type "${type}"`);
  return descriptor;
}

/**
 * Builds the connector for one configured source. Secrets are resolved at collection time and handed
 * straight to the client; their labels read `sources.<id>.<field>` (`sources.gh.auth.token`), the
 * connector naming only the field.
 */
export async function connectorFor(source: SourceConfig, config: { baseDir: string }): Promise<Connector> {
  return descriptorFor(source.type).create(source, {
    resolveSecret: (ref, what) => resolveSecret(ref, config.baseDir, `sources.${source.id}.${what}`),
  });
}
