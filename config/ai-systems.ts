import path from 'node:path';
import { z } from 'zod';
import { durationHint, parseDuration } from '../core/duration';
import type { AiSystemInventory } from '../mappings/ai-systems';
import { readSystemRegister } from './ai-system-register';

/**
 * `aiSystems:` in evidence-hub.yaml: the AI system inventory that `per: aiSystem` mapping rules judge
 * one system at a time (mappings/per-system.ts), and `status --system` / `--by-system` show. Systems come
 * from a register file (CSV or YAML), from the model registry's registered models in the store, or both:
 * the same id from both is one system.
 */
const registerSchema = z.strictObject({
  /** The register: `.csv` (a header row) or `.yaml`/`.yml` (a list of systems, or `systems:` holding one). */
  file: z.string().min(1),
  /** The column (CSV) or key (YAML) holding each system's id, as rules' records name it. */
  idColumn: z.string().min(1).default('id'),
  /** The column whose value `retired` (any case) marks a retired system; any other value is in scope. */
  statusColumn: z.string().min(1).default('status'),
  /** The day (YYYY-MM-DD) a system was retired: from then on it owes no evidence. Required when retired. */
  retiredColumn: z.string().min(1).default('retired_on'),
  /** The day (YYYY-MM-DD) a system entered the inventory: the grace period counts from it. Optional. */
  addedColumn: z.string().min(1).default('added_on'),
});

const registrySchema = z.strictObject({
  /** Source types whose `registered-model` records name AI systems. */
  sourceTypes: z
    .array(z.enum(['mlflow', 'sagemaker']))
    .min(1)
    .default(['mlflow', 'sagemaker']),
  /** `model`: each registered model is a system; `{ tag: NAME }`: the model's tag NAME names its system. */
  name: z.union([z.literal('model'), z.strictObject({ tag: z.string().min(1) })]).default('model'),
});

export const aiSystemsConfigSchema = z
  .strictObject({
    register: registerSchema.optional(),
    registry: registrySchema.optional(),
    /** How long a new system may go without evidence before it counts as missing. */
    grace: z
      .string()
      .refine((s) => parseDuration(s) !== undefined, { message: `not a duration; ${durationHint}` })
      .default('30d'),
  })
  .refine((c) => c.register !== undefined || c.registry !== undefined, {
    message: 'name where AI systems come from: register (a CSV or YAML file), registry (the model registry), or both',
  });

export type AiSystemsConfig = z.infer<typeof aiSystemsConfigSchema>;

/** The inventory the evaluator reads; the register file is read (and checked) here, relative to the config. */
export async function loadAiSystems(cfg: AiSystemsConfig, baseDir: string): Promise<AiSystemInventory> {
  const register = cfg.register ? await readSystemRegister(path.resolve(baseDir, cfg.register.file), cfg.register) : [];
  return {
    register,
    ...(cfg.registry
      ? {
          registry: {
            sourceTypes: cfg.registry.sourceTypes,
            nameAttribute: cfg.registry.name === 'model' ? 'model' : `tags.${cfg.registry.name.tag}`,
          },
        }
      : {}),
    grace: { ms: parseDuration(cfg.grace)!, text: cfg.grace },
  };
}
