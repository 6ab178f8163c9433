import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CredentialsError } from './errors';

/**
 * A secret is never written in the config itself, only where to find it. This keeps credentials out of
 * files that get committed, and out of anything derived from the config (workflow inputs, logs).
 */
export const secretRefSchema = z.union(
  [
    z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }),
    z.strictObject({ file: z.string().min(1) }),
  ],
  { error: 'expected { env: VARIABLE_NAME } or { file: path }: secrets are never written in the config' },
);

export type SecretRef = z.infer<typeof secretRefSchema>;

/** Reads a secret at the moment it is needed; `baseDir` resolves relative file paths. */
export async function resolveSecret(ref: SecretRef, baseDir: string, what: string): Promise<string> {
  if ('env' in ref) {
    const value = process.env[ref.env];
    if (value === undefined || value === '') {
      throw new CredentialsError(
        `${what}: environment variable ${ref.env} is not set (export it before starting evidence-hub)`,
      );
    }
    return value;
  }
  const file = path.resolve(baseDir, ref.file);
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    throw new CredentialsError(
      `${what}: cannot read secret file ${file} (${(err as NodeJS.ErrnoException).code ?? err})`,
    );
  }
}
