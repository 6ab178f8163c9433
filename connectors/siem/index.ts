// The siem connector's public surface, for the registry, the config schema and the mapping vocabulary.
export { siemSourceSchema, siemFormats, type SiemSourceConfig, type SiemSourceInput, type SiemFormat } from './config';
export { siemKinds, type SiemKind } from './kinds';
export { createSiemConnector, SiemConnector, siemCollector } from './siem-connector';
export { LocalFolderLocation, type ExportFile, type ExportLocation } from './location';
