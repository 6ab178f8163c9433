import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleOptions } from '../../cli/commands/serve';
import { ConsoleAuth } from '../../console/auth';
import { startConsole } from '../../console/server';
import { createLogger } from '../../worker/logger';
import { hubIn, signingKey, type HubFixture } from '../support/hub-fixture';
import { writeBundle } from '../support/store-fixture';
import { suiteDir } from '../support/tmp';

/**
 * The console evaluates the store once per store head (and day), not once per request: counted from the
 * cache's own debug line, on the console exactly as `evidence-hub serve` wires it, over a real socket.
 */
describe('console evaluation cache: one evaluation per store head, shared by requests, renewed by a new bundle', () => {
  let fx: HubFixture;
  let server: Server;
  let base: string;
  let logged = '';
  const evaluations = () =>
    logged
      .split('\n')
      .filter((l) => l.includes('"console evaluated the store"'))
      .map((l) => JSON.parse(l) as { evaluations: number; head: string });
  const controls = async () => {
    const res = await fetch(`${base}/api/v1/controls`);
    expect(res.status).toBe(200);
    return (await res.json()) as { asOf: string; controls: { id: string; status: string }[] };
  };
  const statusOf = (body: { controls: { id: string; status: string }[] }, id: string) =>
    body.controls.find((c) => c.id === id)?.status;

  beforeAll(async () => {
    fx = await hubIn(
      await suiteDir(),
      [
        'version: 1',
        'store: { path: ./store }',
        'signing: { key: { file: ./keys/signing.pem } }',
        'sources:',
        '  - { id: docs, type: folder, path: ./org }',
        '',
      ].join('\n'),
      { 'org/readme.md': 'x' },
    );
    await writeBundle(fx.hub.store, await signingKey(fx.hub), fx.hub.mappings, 'b1', { 'readme.md': 'x' }, new Date());
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged += chunk.toString();
        done();
      },
    });
    const log = createLogger({ level: 'debug' }, sink);
    const auth = await ConsoleAuth.fromConfig(fx.hub.config.console, fx.hub.config.baseDir);
    server = await startConsole(consoleOptions(fx.hub, auth, log, true), '127.0.0.1', 0);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });

  it('evaluates once for the page and the API alike, and again only after a new sealed bundle', async () => {
    const page = await fetch(`${base}/controls`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('A.3.2');
    expect(evaluations()).toHaveLength(1);

    const before = await controls();
    await fetch(`${base}/controls`).then((r) => r.text());
    expect(evaluations()).toHaveLength(1); // two more requests, no new evaluation
    expect(statusOf(before, 'A.3.2')).toBe('missing');

    // A RACI in a new bundle: the next request sees it (A.3.2 is no longer missing) after one evaluation.
    await writeBundle(
      fx.hub.store,
      await signingKey(fx.hub),
      fx.hub.mappings,
      'b2',
      { 'raci.csv': 'system,owner\nbot,al\n' },
      new Date(),
    );
    const after = await controls();
    expect(statusOf(after, 'A.3.2')).not.toBe('missing');
    const seen = evaluations();
    expect(seen).toHaveLength(2);
    expect(seen[1]!.head).not.toBe(seen[0]!.head);
  });

  it('requests that arrive together share one evaluation of a new head', async () => {
    await writeBundle(
      fx.hub.store,
      await signingKey(fx.hub),
      fx.hub.mappings,
      'b3',
      { 'raci.csv': 'system,owner\nbot,bo\n' },
      new Date(),
    );
    const n = evaluations().length;
    const bodies = await Promise.all([
      controls(),
      controls(),
      fetch(`${base}/controls`).then((r) => r.text()),
      controls(),
    ]);
    expect(bodies).toHaveLength(4);
    expect(evaluations()).toHaveLength(n + 1);
  });
});
