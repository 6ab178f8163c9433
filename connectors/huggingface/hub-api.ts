import { z } from 'zod';
import { jsonValueSchema } from '../../core/json';

/**
 * The Hub API answers the connector reads, as the Hub documents them and `huggingface_hub` reads them
 * (`/api/models?author=`, `/api/models/{repo}/revision/{rev}`, `/api/models/{repo}/commits/{rev}`; the same
 * under `/api/datasets`). Loose objects: the Hub adds fields often, and the raw answer is stored as evidence.
 */
export const repoTypes = ['model', 'dataset'] as const;
export type RepoType = (typeof repoTypes)[number];

/** `/api/models` vs `/api/datasets`, and the `datasets/` prefix of file URLs. */
export const apiPlural: Record<RepoType, string> = { model: 'models', dataset: 'datasets' };

const gated = z.union([z.boolean(), z.string()]).optional();

export const listedRepoSchema = z.looseObject({
  id: z.string().min(1),
  sha: z.string().optional(),
  lastModified: z.string().optional(),
  private: z.boolean().optional(),
  gated,
});
export const repoListSchema = z.array(listedRepoSchema);
export type ListedRepo = z.infer<typeof listedRepoSchema>;

export const repoInfoSchema = z.looseObject({
  id: z.string().min(1),
  sha: z.string().min(1),
  lastModified: z.string().optional(),
  createdAt: z.string().optional(),
  private: z.boolean().optional(),
  gated,
  disabled: z.boolean().optional(),
  tags: z.array(z.string()).optional(),
  pipeline_tag: z.string().optional(),
  library_name: z.string().optional(),
  cardData: z.record(z.string(), jsonValueSchema).optional(),
  siblings: z.array(z.looseObject({ rfilename: z.string() })).optional(),
  safetensors: z
    .looseObject({ parameters: z.record(z.string(), z.number()).optional(), total: z.number().optional() })
    .optional(),
});
export type RepoInfo = z.infer<typeof repoInfoSchema>;

export const commitListSchema = z.array(
  z.looseObject({
    id: z.string().min(1),
    title: z.string().optional(),
    message: z.string().optional(),
    authors: z.array(z.looseObject({ user: z.string().optional() })).optional(),
    date: z.string().optional(),
  }),
);
export type HubCommit = z.infer<typeof commitListSchema>[number];
