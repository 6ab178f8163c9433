import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * Ports for the servers the tests spawn as child processes (MinIO, Azurite, fake-gcs-server, MLflow, moto,
 * nginx, the Temporal CLI).
 *
 * Such a server cannot be handed a listening socket, so the port is picked first and bound later by the
 * child. Asking the kernel for port 0 returns a port from the ephemeral range, which the kernel also gives
 * out as the local port of every outgoing connection: between our check and the child's bind, a test's
 * connection to Temporal or an HTTP fake could take it ("Specified port is already in use", seen in CI).
 * A random port below that range is never handed out implicitly; only another test picking the same number
 * could take it, and the bind check here plus `retryOnPortClash` cover that.
 */

const FLOOR = 10_000;

function ephemeralLow(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const n = Number(low);
    if (Number.isInteger(n) && n > FLOOR + 1_000) return n;
  } catch {
    // not Linux: fall back to IANA's dynamic range
  }
  return 49_152;
}

/** Where the kernel's ephemeral ports begin (32768 on Linux by default). */
export const ephemeralRangeStart = ephemeralLow();
const ceiling = ephemeralRangeStart;

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A loopback port below the ephemeral range that nothing listens on now. */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = FLOOR + Math.floor(Math.random() * (ceiling - FLOOR));
    if (await canBind(port)) return port;
  }
  throw new Error(`no free loopback port found between ${FLOOR} and ${ceiling}`);
}

/** Whether a server's failure to start says its port was taken. */
export function isPortClash(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return /already in use|EADDRINUSE|address in use/i.test(text);
}

/**
 * Starts a server on a fresh port, and on a fresh port again when the first was taken meanwhile (another
 * test picked the same number). Any other failure is thrown at once.
 */
export async function retryOnPortClash<T>(start: (port: number) => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (err) {
      if (i >= attempts || !isPortClash(err)) throw err;
    }
  }
}
