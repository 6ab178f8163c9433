import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralRangeStart, freePort, isPortClash, retryOnPortClash } from '../support/ports';

// The servers the tests spawn bind their port after we pick it; these check the picking that keeps that safe.
describe('ports for spawned test servers', () => {
  it('picks a bindable loopback port below the kernel ephemeral range', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThanOrEqual(10_000);
    expect(port).toBeLessThan(ephemeralRangeStart);
    const srv = net.createServer();
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', resolve);
    });
    await new Promise((r) => srv.close(r));
  });

  it("recognises a taken port in MinIO's and Node's words, and nothing else", () => {
    expect(
      isPortClash(new Error('minio exited (1): FATAL Unable to start the server: Specified port is already in use')),
    ).toBe(true);
    expect(isPortClash(new Error('listen EADDRINUSE: address already in use 127.0.0.1:4000'))).toBe(true);
    expect(isPortClash(new Error('minio exited (1): disk full'))).toBe(false);
  });

  it('starts again on another port after a clash, and gives up on any other failure', async () => {
    const tried: number[] = [];
    const port = await retryOnPortClash(async (p) => {
      tried.push(p);
      if (tried.length === 1) throw new Error('Specified port is already in use');
      return p;
    });
    expect(tried).toHaveLength(2);
    expect(port).toBe(tried[1]);
    let calls = 0;
    await expect(
      retryOnPortClash(async () => {
        calls++;
        throw new Error('bad credentials');
      }),
    ).rejects.toThrow('bad credentials');
    expect(calls).toBe(1);
  });
});
