import type { SourceConfig } from '../worker/config';
import { FolderConnector } from './folder/folder-connector';
import type { Connector } from './types';

/** Builds the connector for one configured source. The only place that knows every connector type. */
export function connectorFor(source: SourceConfig): Connector {
  switch (source.type) {
    case 'folder':
      return new FolderConnector({ sourceId: source.id, root: source.path, include: source.include, exclude: source.exclude });
  }
}
