import { defineConnector } from '../descriptor';
import { manualSourceSchema } from './config';
import { ManualConnector } from './manual-connector';

/** Records only people can supply (training, contracts, acknowledgements), filed with `evidence-hub upload`. */
export const manualConnector = defineConnector({
  type: 'manual',
  configSchema: manualSourceSchema,
  kinds: ['record'],
  create: (source) => new ManualConnector({ sourceId: source.id, root: source.path }),
  // These controls stay visibly `missing` until someone files a record, even before a manual source exists.
  defaultMappings: { files: ['90-manual.yaml'], when: 'always' },
});
