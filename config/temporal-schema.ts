import { z } from 'zod';
import { secretRefSchema } from '../core/secrets';

/**
 * The `temporal:` settings that secure the connection, named after Temporal's own configuration
 * (TEMPORAL_TLS_*, the TOML profile's `tls` table) so one vocabulary serves both. Certificates and keys are
 * references ({ file } or { env }), never inline: a file reference is re-read when it changes on disk.
 */
export const temporalTlsSchema = z
  .strictObject({
    /** `true` forces plaintext even when an API key is set (TEMPORAL_TLS=false does the same). */
    disabled: z.boolean().optional(),
    /** Name checked against the server's certificate (and sent as SNI) instead of the address's host. */
    serverName: z.string().min(1).optional(),
    /** CA of the server's certificate; the system's roots when absent (Temporal Cloud). */
    serverCaCert: secretRefSchema.optional(),
    /** Client certificate and key for mTLS: both or neither. */
    clientCert: secretRefSchema.optional(),
    clientKey: secretRefSchema.optional(),
  })
  .refine((t) => (t.clientCert === undefined) === (t.clientKey === undefined), {
    message: 'clientCert and clientKey go together: give both (mTLS) or neither',
  });

export type TemporalTlsConfig = z.infer<typeof temporalTlsSchema>;

/** The fields added to `temporal:` (spread into the schema in config.ts). */
export const temporalSecurityFields = {
  /** Temporal Cloud API key (sent as `authorization: Bearer …`); turns TLS on unless tls.disabled. */
  apiKey: secretRefSchema.optional(),
  tls: temporalTlsSchema.optional(),
  /** How often the client certificate and key files are checked for a rotation (a running worker reloads them). */
  tlsReloadInterval: z
    .string()
    .regex(/^\d+(ms|s|m)$/, 'expected a duration such as 500ms, 30s or 1m')
    .default('30s'),
};
