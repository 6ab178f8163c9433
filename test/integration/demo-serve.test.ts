import { cp } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../core/data-files';
import { freePort } from '../support/ports';
import { spawnCli, waitFor, type CliProcess } from '../support/processes';
import { promtoolCheckMetrics, samples } from '../support/promtool';
import { tempDir } from '../support/tmp';

let demo: CliProcess | undefined;

afterAll(() => {
  demo?.child.kill('SIGKILL');
});

describe('demo --serve', () => {
  it('prints the metrics address and serves /metrics, /healthz and /readyz like a worker; SIGTERM exits 0', async () => {
    const dir = await tempDir();
    await cp(dataPath('examples', 'demo'), path.join(dir, 'demo'), {
      recursive: true,
      filter: (src) => !src.includes('.state'),
    });
    const address = `127.0.0.1:${await freePort()}`;
    demo = spawnCli([
      'demo',
      '--config',
      path.join(dir, 'demo', 'evidence-hub.yaml'),
      '--serve',
      '--metrics-address',
      address,
      '--console-port',
      '0',
    ]);
    const printed = await waitFor(
      'the demo to print its metrics address',
      async () => /^metrics: +(http:\/\/\S+\/metrics)/m.exec(demo!.output())?.[1],
      240_000,
      200,
    );
    expect(printed).toBe(`http://${address}/metrics`);

    const metrics = await fetch(printed);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(promtoolCheckMetrics(text)).toEqual({ code: 0, output: '' });
    // The demo's sweep ran in this process: it is counted, and the sealed bundle shows in the control gauges.
    expect(samples(text, 'evidence_hub_seal_duration_seconds_count').get('')).toBe(1);
    expect([...samples(text, 'evidence_hub_controls').values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(text).toMatch(/^temporal_\w+/m);

    expect((await fetch(`http://${address}/healthz`)).status).toBe(200);
    const ready = await fetch(`http://${address}/readyz`);
    expect(await ready.text()).toBe('ready\ntemporal: ok\nstore: ok\nsigning-key: ok\n');

    // The web console beside it, for the one local user: the overview of the demo's store, and its sweep.
    const consoleUrl = /^console: +(http:\/\/127\.0\.0\.1:\d+\/)/m.exec(demo.output())?.[1];
    expect(consoleUrl).toBeDefined();
    const overview = await fetch(consoleUrl!);
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain('Readiness overview');
    const sweeps = (await (await fetch(`${consoleUrl}api/v1/sweeps`)).json()) as { sweeps: { status: string }[] };
    expect(sweeps.sweeps.map((s) => s.status)).toContain('completed');

    demo.child.kill('SIGTERM');
    expect(await demo.exited).toBe(0);
  });
});
