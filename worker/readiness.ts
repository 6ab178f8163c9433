import type { LoadedConfig } from '../config/config';
import type { Signer } from '../evidence/signing';
import { loadSigningKey } from './hub';

/** The checks behind /readyz, by the name the body reports them under. */
export const readinessCheckNames = ['temporal', 'store', 'signing-key'] as const;
export type ReadinessCheckName = (typeof readinessCheckNames)[number];

/** A check resolves when fine and throws an error whose message says what is wrong. */
export type ReadinessCheck = () => Promise<void>;

export interface ReadinessReport {
  ready: boolean;
  checks: { name: ReadinessCheckName; ok: boolean; reason?: string }[];
}

/** A check that hangs (a store behind a black-holed route) must not hang the probe. */
const checkTimeoutMs = 5_000;

/**
 * What the worker is ready with. The worker starts serving /readyz before it has connected or loaded its
 * key, so a check with nothing to check yet fails with "not … yet" instead of the endpoint being absent.
 */
export class Readiness {
  private readonly checks = new Map<ReadinessCheckName, ReadinessCheck>();

  set(name: ReadinessCheckName, check: ReadinessCheck): this {
    this.checks.set(name, check);
    return this;
  }

  async report(): Promise<ReadinessReport> {
    const checks = await Promise.all(
      readinessCheckNames.map(async (name) => {
        const check = this.checks.get(name);
        if (!check) return { name, ok: false, reason: notYet[name] };
        try {
          await withTimeout(check(), `${silent[name]}: no answer within ${checkTimeoutMs / 1000}s`);
          return { name, ok: true };
        } catch (err) {
          return { name, ok: false, reason: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    return { ready: checks.every((c) => c.ok), checks };
  }
}

/** What a check that does not answer in time means (the SDK's client retries a refused connection inside). */
const silent: Record<ReadinessCheckName, string> = {
  temporal: 'Temporal unreachable',
  store: 'store unreachable',
  'signing-key': 'signing key not readable',
};

const notYet: Record<ReadinessCheckName, string> = {
  temporal: 'not connected to Temporal yet',
  store: 'store not opened yet',
  'signing-key': 'signing key not loaded yet',
};

/** Temporal answers its gRPC health check on the worker's own connection. */
export function temporalCheck(connection: {
  healthService: { check(req: object): Promise<{ status?: unknown }> };
}): ReadinessCheck {
  return async () => {
    try {
      const res = await connection.healthService.check({});
      // 1 = SERVING in grpc.health.v1
      if (res.status !== 1 && res.status !== 'SERVING') throw new Error(`health status ${String(res.status)}`);
    } catch (err) {
      throw new Error(`Temporal unreachable: ${(err as Error).message}`);
    }
  };
}

/** The store answers a read of its chain head (one small object or file). */
export function storeCheck(store: { location: string; head(): Promise<unknown> }): ReadinessCheck {
  return async () => {
    try {
      await store.head();
    } catch (err) {
      throw new Error(`store ${store.location} unreachable: ${(err as Error).message}`);
    }
  };
}

/**
 * The key the worker seals with can still be loaded from where the config says (a key file removed or a
 * secret unmounted means the next start fails), and it is still the same key.
 */
export function signingKeyCheck(config: LoadedConfig, loaded: Signer): ReadinessCheck {
  return async () => {
    // A token key is not re-opened on every probe (each open is a PKCS#11 login): the loaded signer must
    // still sign. A key file is re-read, so a removed file or unmounted secret shows before the next start.
    if (config.signing.pkcs11) {
      await loaded.sign(Buffer.from('evidence-hub readiness probe'));
      return;
    }
    const key = await loadSigningKey(config);
    await key.close?.();
    if (key.keyId !== loaded.keyId)
      throw new Error(
        `the signing key at ${config.file} signing.key changed (${loaded.keyId} loaded, ${key.keyId} now); restart the worker`,
      );
  };
}

async function withTimeout<T>(p: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), checkTimeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
