import { Storage, type StorageOptions } from '@google-cloud/storage';
import { z } from 'zod';
import { CredentialsError } from '../../core/errors';
import type { ResolveSecret } from '../descriptor';
import type { GcsConnection } from './config';

const serviceAccountSchema = z.object({
  client_email: z.string().min(1),
  private_key: z.string().min(1),
  project_id: z.string().optional(),
});

/**
 * A Storage client for configured connection settings; the key is resolved now, at collection time.
 * The SDK's own retries are off: the caller retries with Retry-After honoured (object-store/retry.ts).
 */
export async function gcsClientFor(conn: GcsConnection, resolveSecret: ResolveSecret): Promise<Storage> {
  const options: StorageOptions = {
    retryOptions: { autoRetry: false },
    ...(conn.apiEndpoint ? { apiEndpoint: conn.apiEndpoint.replace(/\/+$/, '') } : {}),
    ...(conn.projectId ? { projectId: conn.projectId } : {}),
  };
  if (conn.serviceAccountJson) {
    const raw = await resolveSecret(conn.serviceAccountJson, 'serviceAccountJson');
    let parsed: z.infer<typeof serviceAccountSchema>;
    try {
      parsed = serviceAccountSchema.parse(JSON.parse(raw));
    } catch {
      throw new CredentialsError(
        'serviceAccountJson: not a service account key (JSON with client_email and private_key)',
      );
    }
    options.credentials = { client_email: parsed.client_email, private_key: parsed.private_key };
    if (!conn.projectId && parsed.project_id) options.projectId = parsed.project_id;
  }
  return new Storage(options);
}
