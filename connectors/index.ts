import type { MappingVocabulary } from '../mappings/vocabulary';
import type { ConnectorDescriptor, SourceConfigOf } from './descriptor';
import { folderConnector } from './folder';
import { gcsConnector } from './gcs';
import { githubConnector } from './github';
import { huggingfaceConnector } from './huggingface';
import { jiraConnector } from './jira';
import { manualConnector } from './manual';
import { mlflowConnector } from './mlflow';
import { azureBlobConnector } from './azure-blob';
import { s3Connector } from './s3';
import { sagemakerConnector } from './sagemaker';
import { siemConnector } from './siem';

/**
 * Every connector, once. The config file's source union, the registry and the mapping vocabulary are
 * derived from this list: adding a connector is its folder plus one line here (docs/adding-a-connector.md).
 */
export const connectorDescriptors = [
  folderConnector,
  manualConnector,
  githubConnector,
  jiraConnector,
  siemConnector,
  mlflowConnector,
  s3Connector,
  sagemakerConnector,
  huggingfaceConnector,
  azureBlobConnector,
  gcsConnector,
] as const;

export type AnyConnectorDescriptor = (typeof connectorDescriptors)[number];

/** One parsed `sources:` entry, of any connector type. */
export type SourceConfig = SourceConfigOf<AnyConnectorDescriptor>;
export type SourceType = SourceConfig['type'];

export const sourceTypes: readonly SourceType[] = connectorDescriptors.map((d) => d.type);

/** The descriptors' config schemas, in list order, as the tuple a discriminated union is built from. */
export const sourceConfigSchemas = connectorDescriptors.map((d) => d.configSchema) as unknown as SchemasOf<
  typeof connectorDescriptors
>;
type SchemasOf<T extends readonly ConnectorDescriptor[]> = {
  readonly [K in keyof T]: T[K] extends ConnectorDescriptor<string, infer Schema> ? Schema : never;
};

/** What `loadMappings` checks mapping files against, and where the shipped pack's files come from. */
export function mappingVocabulary(): MappingVocabulary {
  return Object.fromEntries(
    connectorDescriptors.map((d) => [
      d.type,
      { kinds: d.kinds, defaultMappings: d.defaultMappings, ...(d.stateKinds ? { stateKinds: d.stateKinds } : {}) },
    ]),
  );
}
