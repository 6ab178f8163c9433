import type { z } from 'zod';
import type { SecretRef } from '../core/secrets';
import type { DefaultMappings, StateKinds } from '../mappings/vocabulary';
import type { Connector } from './types';

/**
 * Resolves one secret reference of the source being built. `what` names the field within the source's
 * config entry (`auth.token`); the registry prefixes it with `sources.<id>.` for messages, so a connector
 * never adds the source id itself.
 */
export type ResolveSecret = (ref: SecretRef, what: string) => Promise<string>;

/** What a factory gets besides its parsed config entry. */
export interface ConnectorContext {
  resolveSecret: ResolveSecret;
}

/**
 * A config entry schema: a zod object with a string `id` and a literal `type`, so that the config file's
 * `sources:` list can be a discriminated union of all of them.
 */
export type SourceConfigSchema<Type extends string = string> = z.core.$ZodTypeDiscriminable &
  z.ZodType<{ id: string; type: Type }>;

/**
 * Everything the rest of the hub needs to know about one connector. Each connector folder exports exactly
 * one from its index.ts, and connectors/index.ts lists them; the config union, the registry and the
 * mapping vocabulary are derived from that list (docs/adding-a-connector.md).
 */
export interface ConnectorDescriptor<
  Type extends string = string,
  Schema extends SourceConfigSchema<Type> = SourceConfigSchema<Type>,
> {
  /** The `type:` of a source entry in evidence-hub.yaml, and the `source:` of mapping selectors. */
  readonly type: Type;
  /** Validates one `sources:` entry of this type (its `id` uses `sourceIdSchema`). */
  readonly configSchema: Schema;
  /** Artifact kinds the connector produces; mapping rules may select only these. */
  readonly kinds: readonly string[];
  /**
   * Kinds among `kinds` that are configuration snapshots ("latest per subject"), with the attributes that
   * name the subject (repository, system, model). Pack authors never repeat this: every rule reading such
   * a kind is judged on the newest snapshot per subject (docs/mappings.md, "State and events").
   */
  readonly stateKinds?: StateKinds;
  /**
   * Builds the connector for one parsed entry: the one factory signature all connectors share. Written as a
   * method so descriptors of different types fit in one list; the registry only ever passes an entry that
   * this descriptor's own schema parsed.
   */
  create(source: z.output<Schema>, context: ConnectorContext): Connector | Promise<Connector>;
  /** The connector's files in the shipped mapping pack. */
  readonly defaultMappings: DefaultMappings;
}

/** The parsed config entry a descriptor's factory takes. */
export type SourceConfigOf<D extends ConnectorDescriptor> = z.output<D['configSchema']>;

/** Declares a descriptor with its literal type and schema kept, for the derived config union. */
export function defineConnector<const Type extends string, Schema extends SourceConfigSchema<Type>>(
  descriptor: ConnectorDescriptor<Type, Schema>,
): ConnectorDescriptor<Type, Schema> {
  return descriptor;
}
