import { z } from 'zod';

/**
 * The id of a configured source. It becomes part of artifact ids, store paths and workflow ids, so it is
 * kept to a small, case-stable alphabet. Every connector's config schema uses it for its `id`.
 */
export const sourceIdSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9_-]{0,62}$/,
    'must be 1-63 lowercase letters, digits, "-" or "_", starting with a letter or digit',
  );
