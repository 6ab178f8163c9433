import { z } from 'zod';
import { secretRefSchema } from '../../core/secrets';
import { sourceIdSchema } from '../source-id';

/**
 * One `type: huggingface` entry of `sources:` in evidence-hub.yaml: models and datasets on the Hugging Face
 * Hub (or a Hub-compatible server), of whole organisations or listed one by one.
 *
 * ```yaml
 * - id: hub
 *   type: huggingface
 *   organizations: [acme-ai]
 *   models: [partner-org/shared-encoder]
 *   token: { env: HF_TOKEN }   # optional: public repos need none
 * ```
 */
/** What the Hub allows in names (letters, digits, `-`, `_`, `.`), never a `.` or `..` segment. */
export const hubRepoIdPattern = /^(?!\.\.?\/)[\w.-]+\/(?!\.\.?$)[\w.-]+$/;
const repoId = z
  .string()
  .regex(hubRepoIdPattern, 'expected a repository id "<owner>/<name>", e.g. acme-ai/credit-scorer');
const owner = z.string().regex(/^[^/\s]+$/, 'expected an organisation or user name, without "/"');

const serverUrl = z
  .string()
  .refine((s) => URL.canParse(s), { message: 'not a URL; expected e.g. https://huggingface.co' })
  .refine((s) => !URL.canParse(s) || ['http:', 'https:'].includes(new URL(s).protocol), {
    message: 'expected an http:// or https:// URL',
  })
  .refine((s) => !URL.canParse(s) || (new URL(s).username === '' && new URL(s).password === ''), {
    message: 'credentials in the URL are not allowed; use token: { env: NAME }',
  });

export const huggingfaceSourceSchema = z
  .strictObject({
    id: sourceIdSchema,
    type: z.literal('huggingface'),
    /** The Hub's base URL; a private Hub or a mirror serving the same API may be given. */
    url: serverUrl.default('https://huggingface.co'),
    /** A read token (fine-grained: read access to the repos). Public repos need none; gated and private ones do. */
    token: secretRefSchema.optional(),
    /** Organisations (or users) whose models and datasets are all collected. */
    organizations: z.array(owner).default([]),
    /** Single model repositories, `<owner>/<name>`. */
    models: z.array(repoId).default([]),
    /** Single dataset repositories, `<owner>/<name>`. */
    datasets: z.array(repoId).default([]),
    /** For `organizations`: which repository types to collect. */
    repoTypes: z
      .array(z.enum(['model', 'dataset']))
      .min(1)
      .default(['model', 'dataset']),
    /** Cards (README.md) larger than this are recorded without their content. */
    maxCardBytes: z
      .number()
      .int()
      .positive()
      .max(64 * 1024 * 1024)
      .default(1024 * 1024),
    /** New commits recorded per repository and run (the newest first); older ones beyond are counted, not recorded. */
    maxCommits: z.number().int().min(1).max(10_000).default(200),
    /** Per-request timeout, and attempts for 429 and 5xx answers (backoff; Retry-After and RateLimit honoured). */
    requestTimeoutMs: z.number().int().positive().default(30_000),
    maxAttempts: z.number().int().min(1).max(10).default(5),
    /** The longest wait a RateLimit or Retry-After header may impose before a retry (the Hub's window is 5 minutes). */
    maxRateLimitWaitMs: z.number().int().min(0).default(300_000),
  })
  .refine((s) => s.organizations.length + s.models.length + s.datasets.length > 0, {
    message: 'name at least one of organizations, models or datasets',
    path: ['organizations'],
  });

export type HuggingfaceSourceConfig = z.infer<typeof huggingfaceSourceSchema>;
export type HuggingfaceSourceInput = z.input<typeof huggingfaceSourceSchema>;
