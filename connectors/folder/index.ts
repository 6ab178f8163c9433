import { defineConnector } from '../descriptor';
import { folderSourceSchema } from './config';
import { FolderConnector } from './folder-connector';

/** Documents kept in a folder: one `document` artifact per file. */
export const folderConnector = defineConnector({
  type: 'folder',
  configSchema: folderSourceSchema,
  kinds: ['document'],
  create: (source) =>
    new FolderConnector({ sourceId: source.id, root: source.path, include: source.include, exclude: source.exclude }),
  // Policy documents are required whether or not a folder source is configured yet.
  defaultMappings: { files: ['10-documents.yaml', '40-clauses.yaml'], when: 'always' },
});
