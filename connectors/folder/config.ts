import { z } from 'zod';
import { sourceIdSchema } from '../source-id';

/** `type: folder` in evidence-hub.yaml: documents in a folder, relative paths resolve against the config file. */
export const folderSourceSchema = z.strictObject({
  id: sourceIdSchema,
  type: z.literal('folder'),
  path: z.string().min(1),
  include: z.array(z.string().min(1)).default([]),
  exclude: z.array(z.string().min(1)).default(['**/.*', '**/.*/**']),
});

export type FolderSourceConfig = z.output<typeof folderSourceSchema>;
