import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleOptions, warmConsole } from '../../cli/commands/serve';
import { ConsoleAuth } from '../../console/auth';
import { startConsole } from '../../console/server';
import { createLogger } from '../../worker/logger';
import { hubIn, sealNow, type HubFixture } from '../support/hub-fixture';
import { suiteDir } from '../support/tmp';

/** Asks `probe` again (a few ms apart) until it returns true: a background evaluation finishes when it does. */
async function eventually(probe: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i += 1) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`never happened: ${what}`);
}

/**
 * The console evaluates the store once per store head (and day), not once per request: counted from the
 * cache's own debug line, on the console exactly as `evidence-hub serve` wires it (warmed as it starts),
 * over a real socket. After a new bundle the previous results are served, saying so, while the new head is
 * evaluated in the background: the first request after the bundle is answered from the previous evaluation
 * by construction (the cache answers it before the new evaluation can have read anything).
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
    return (await res.json()) as {
      asOf: string;
      controls: { id: string; status: string }[];
      evaluating?: true;
      evaluatedBundle?: number;
      newestBundle?: number;
    };
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
    await sealNow(fx, 'b1', { 'readme.md': 'x' });
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged += chunk.toString();
        done();
      },
    });
    const log = createLogger({ level: 'debug' }, sink);
    const auth = await ConsoleAuth.fromConfig(fx.hub.config.console, fx.hub.config.baseDir);
    const options = consoleOptions(fx.hub, auth, log, true);
    server = await startConsole(options, '127.0.0.1', 0);
    warmConsole(options, log);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });

  it('warms at start, evaluates once for the page and the API alike, and serves the previous results (flagged) until the new bundle is evaluated', async () => {
    await eventually(async () => evaluations().length === 1, 'the warm-up evaluation started with no request');
    const page = await fetch(`${base}/controls`);
    expect(page.status).toBe(200);
    const first = await page.text();
    expect(first).toContain('A.3.2');
    expect(first).not.toContain('id="reevaluating"');
    expect(evaluations()).toHaveLength(1); // the request shared the warm-up

    const before = await controls();
    await fetch(`${base}/controls`).then((r) => r.text());
    expect(evaluations()).toHaveLength(1); // two more requests, no new evaluation
    expect(statusOf(before, 'A.3.2')).toBe('missing');
    expect(before.evaluating).toBeUndefined();

    // A RACI in a new bundle: the next request is answered from the previous evaluation, saying so.
    await sealNow(fx, 'b2', { 'raci.csv': 'system,owner\nbot,al\n' });
    const stalePage = await (await fetch(`${base}/controls`)).text();
    expect(stalePage).toMatch(
      /id="reevaluating"[^>]*>Showing earlier results of bundle #\d+ as of [^;]+; bundle #\d+ is being evaluated/,
    );
    const [, shownBundle, newBundle] = /bundle #(\d+) as of [^;]+; bundle #(\d+)/.exec(stalePage)!;
    expect(Number(newBundle)).toBeGreaterThan(Number(shownBundle));

    // Eventually the new head's evaluation is served: A.3.2 is no longer missing, and no notice.
    let after = before;
    await eventually(async () => {
      after = await controls();
      if (after.evaluating) {
        // While it runs, the API says which bundle the (still missing) result is from.
        expect(after.evaluatedBundle).toBe(Number(shownBundle));
        expect(after.newestBundle).toBe(Number(newBundle));
        expect(statusOf(after, 'A.3.2')).toBe('missing');
      }
      return after.evaluating === undefined;
    }, 'the new bundle evaluated');
    expect(statusOf(after, 'A.3.2')).not.toBe('missing');
    expect(await (await fetch(`${base}/controls`)).text()).not.toContain('id="reevaluating"');
    const seen = evaluations();
    expect(seen).toHaveLength(2);
    expect(seen[1]!.head).not.toBe(seen[0]!.head);
  });

  it('the overview and the API say so too while a new head is evaluated', async () => {
    await sealNow(fx, 'b2b', { 'raci.csv': 'system,owner\nbot,cy\n' });
    const overview = await (await fetch(`${base}/`)).text();
    expect(overview).toMatch(/id="reevaluating"[^>]*>Showing earlier results of bundle #\d+/);
    await eventually(async () => (await controls()).evaluating === undefined, 'the new bundle evaluated');
    await sealNow(fx, 'b2c', { 'raci.csv': 'system,owner\nbot,di\n' });
    const flagged = await controls();
    expect(flagged.evaluating).toBe(true);
    expect(flagged.newestBundle).toBeGreaterThan(flagged.evaluatedBundle!);
    // One control's answer says the same, from the same evaluation.
    const one = (await (await fetch(`${base}/api/v1/controls/A.3.2`)).json()) as typeof flagged;
    expect([one.evaluating, one.evaluatedBundle, one.newestBundle]).toEqual([
      true,
      flagged.evaluatedBundle,
      flagged.newestBundle,
    ]);
    await eventually(async () => (await controls()).evaluating === undefined, 'the new bundle evaluated');
  });

  it('the overview takes its last sweep and failed sources from the evaluation it serves, reading no index per request', async () => {
    await eventually(async () => (await controls()).evaluating === undefined, 'the head evaluated');
    const store = fx.hub.store;
    const original = store.readIndexCache.bind(store);
    let reads = 0;
    store.readIndexCache = async () => {
      reads++;
      return original();
    };
    try {
      const lastSweep = async () => /id="last-sweep">Bundle #(\d+)/.exec(await (await fetch(`${base}/`)).text())?.[1];
      const shown = await lastSweep();
      expect(Number(shown)).toBe((await store.sequences()).at(-1));
      for (let i = 0; i < 3; i++) expect(await lastSweep()).toBe(shown);
      expect(reads).toBe(0);
      // A new bundle: the overview keeps the evaluated bundle (with the notice) until the new head is evaluated,
      // then names the new bundle; the results and the last sweep never come from two different heads.
      await sealNow(fx, 'b2d', { 'raci.csv': 'system,owner\nbot,ed\n' });
      const head = (await store.sequences()).at(-1)!;
      const during = await (await fetch(`${base}/`)).text();
      if (during.includes('id="reevaluating"')) expect(during).toContain(`id="last-sweep">Bundle #${shown} `);
      await eventually(async () => (await lastSweep()) === String(head), 'the overview names the new bundle');
      expect(reads).toBe(1); // the one evaluation of the new head
    } finally {
      store.readIndexCache = original;
    }
  });

  it('requests that arrive together share one evaluation of a new head', async () => {
    await sealNow(fx, 'b3', { 'raci.csv': 'system,owner\nbot,bo\n' });
    const n = evaluations().length;
    const bodies = await Promise.all([
      controls(),
      controls(),
      fetch(`${base}/controls`).then((r) => r.text()),
      controls(),
    ]);
    expect(bodies).toHaveLength(4);
    await eventually(async () => (await controls()).evaluating === undefined, 'the new bundle evaluated');
    expect(evaluations()).toHaveLength(n + 1);
  });
});
