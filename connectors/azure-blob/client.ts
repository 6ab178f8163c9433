import { ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import { AnonymousCredential, BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { SourceConfigError } from '../../core/errors';
import type { ResolveSecret } from '../descriptor';
import type { AzureAuth } from './config';

/**
 * A blob service client for the configured credentials; secrets are resolved now, at collection time.
 * The SDK's own retries are off (maxTries 1): the connector retries with Retry-After honoured.
 */
export async function blobServiceFor(
  accountUrl: string,
  auth: AzureAuth,
  resolveSecret: ResolveSecret,
  what = 'auth',
): Promise<BlobServiceClient> {
  const options = { retryOptions: { maxTries: 1 } };
  const url = accountUrl.replace(/\/+$/, '');
  switch (auth.method) {
    case 'shared-key': {
      const key = await resolveSecret(auth.accountKey, `${what}.accountKey`);
      return new BlobServiceClient(url, new StorageSharedKeyCredential(auth.accountName, key), options);
    }
    case 'sas': {
      const token = (await resolveSecret(auth.token, `${what}.token`)).replace(/^\?/, '');
      return new BlobServiceClient(`${url}?${token}`, new AnonymousCredential(), options);
    }
    case 'entra-id': {
      let credential: TokenCredential;
      if (auth.clientSecret) {
        if (!auth.tenantId || !auth.clientId) {
          throw new SourceConfigError(`${what}: tenantId and clientId are required with clientSecret`);
        }
        const secret = await resolveSecret(auth.clientSecret, `${what}.clientSecret`);
        credential = new ClientSecretCredential(auth.tenantId, auth.clientId, secret);
      } else {
        credential = new DefaultAzureCredential(auth.clientId ? { managedIdentityClientId: auth.clientId } : {});
      }
      return new BlobServiceClient(url, credential, options);
    }
  }
}
