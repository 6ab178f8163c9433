import { randomBytes } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifest } from '../../evidence/index';
import { loadConfig } from '../../config/config';
import { backfillSchedule, listSchedules, scheduleIdFor, syncSchedules } from '../../worker/schedules';
import { startDevServer } from '../../worker/temporal-server';
import { createHubWorker } from '../../worker/worker';
import { hubIn, quietLog, signingKey, workflowBundle } from '../support/hub-fixture';
import { waitFor } from '../support/processes';
import { tempDir, writeTree } from '../support/tmp';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await startDevServer();
});

afterAll(async () => {
  await env?.teardown();
});

const base = (queue: string) =>
  `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\ntemporal: { taskQueue: ${queue} }\nsources:\n  - { id: docs, type: folder, path: ./org }\n  - { id: registers, type: folder, path: ./org }\n`;

describe('schedule sync on a real Temporal dev server', () => {
  it('creates, changes and deletes our schedules idempotently, and leaves foreign ones alone', async () => {
    const dir = await tempDir();
    const queue = `sched-${randomBytes(4).toString('hex')}`;
    const file = `${dir}/evidence-hub.yaml`;
    await writeTree(dir, {
      'evidence-hub.yaml': `${base(queue)}schedules:\n  - { id: nightly, cron: "0 2 * * *", timezone: Europe/Berlin, sources: [docs] }\n  - { id: hourly, every: 1h, jitter: 5m }\n`,
    });
    let config = await loadConfig(file);
    expect(await syncSchedules(env.client, config)).toEqual({
      created: ['nightly', 'hourly', 'integrity', 'integrity-full'],
      updated: [],
      deleted: [],
      unchanged: [],
    });
    expect(await syncSchedules(env.client, config)).toEqual({
      created: [],
      updated: [],
      deleted: [],
      unchanged: ['nightly', 'hourly', 'integrity', 'integrity-full'],
    });

    const nightly = await env.client.schedule.getHandle(scheduleIdFor(config, 'nightly')).describe();
    expect(nightly.spec.timezone).toBe('Europe/Berlin');
    expect(nightly.policies.overlap).toBe('SKIP');
    expect(nightly.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'sweepWorkflow',
      taskQueue: queue,
      args: [{ trigger: 'schedule', sources: ['docs'] }],
    });
    const rows = await listSchedules(env.client, config);
    expect(rows.map((r) => r.id)).toEqual(['nightly', 'hourly', 'integrity', 'integrity-full']);
    const next = new Date(rows[0]!.nextRuns[0]!);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    // 02:00 in Berlin is 00:00 or 01:00 UTC depending on daylight saving time.
    expect([0, 1]).toContain(next.getUTCHours());

    // A schedule somebody else made in the same namespace.
    const foreignId = `foreign-${randomBytes(3).toString('hex')}`;
    await env.client.schedule.create({
      scheduleId: foreignId,
      spec: { intervals: [{ every: '1d' }] },
      action: { type: 'startWorkflow', workflowType: 'somethingElse', taskQueue: 'other-queue', args: [] },
    });

    await writeTree(dir, {
      'evidence-hub.yaml': `${base(queue)}schedules:\n  - { id: nightly, cron: "30 3 * * 1-5", timezone: Europe/Berlin, sources: [docs], paused: true }\n  - { id: weekly, cron: "0 6 * * 1" }\n`,
    });
    config = await loadConfig(file);
    expect(await syncSchedules(env.client, config)).toEqual({
      created: ['weekly'],
      updated: ['nightly'],
      deleted: ['hourly'],
      unchanged: ['integrity', 'integrity-full'],
    });
    const changed = await env.client.schedule.getHandle(scheduleIdFor(config, 'nightly')).describe();
    expect(changed.state.paused).toBe(true);
    expect(changed.spec.calendars?.[0]).toMatchObject({
      hour: [{ start: 3, end: 3, step: 1 }],
      minute: [{ start: 30, end: 30, step: 1 }],
    });
    await expect(env.client.schedule.getHandle(scheduleIdFor(config, 'hourly')).describe()).rejects.toThrow();
    expect((await env.client.schedule.getHandle(foreignId).describe()).scheduleId).toBe(foreignId);
    expect(await syncSchedules(env.client, config)).toMatchObject({ created: [], updated: [], deleted: [] });
  });

  it('workers starting together all sync: each schedule is created once, nobody fails on "already exists"', async () => {
    const dir = await tempDir();
    const queue = `race-${randomBytes(4).toString('hex')}`;
    await writeTree(dir, {
      'evidence-hub.yaml': `${base(queue)}schedules:\n  - { id: nightly, cron: "0 2 * * *" }\n  - { id: hourly, every: 1h }\n`,
    });
    const config = await loadConfig(`${dir}/evidence-hub.yaml`);
    const reports = await Promise.all([1, 2, 3, 4].map(() => syncSchedules(env.client, config)));
    const ids = ['nightly', 'hourly', 'integrity', 'integrity-full'];
    for (const id of ids) {
      // Created by exactly one sync; the others found it (during or after the create) and left it as it is.
      expect(reports.filter((r) => r.created.includes(id))).toHaveLength(1);
      expect(reports.filter((r) => r.unchanged.includes(id))).toHaveLength(3);
    }
    expect(reports.flatMap((r) => [...r.updated, ...r.deleted])).toEqual([]);
  });

  it('the integrity monitor: daily incremental and weekly full by default, configurable, removed when disabled', async () => {
    const dir = await tempDir();
    const queue = `integrity-${randomBytes(4).toString('hex')}`;
    const file = `${dir}/evidence-hub.yaml`;
    await writeTree(dir, { 'evidence-hub.yaml': base(queue) });
    let config = await loadConfig(file);
    expect(await syncSchedules(env.client, config)).toEqual({
      created: ['integrity', 'integrity-full'],
      updated: [],
      deleted: [],
      unchanged: [],
    });
    const daily = await env.client.schedule.getHandle(scheduleIdFor(config, 'integrity')).describe();
    expect(daily.spec.intervals?.map((i) => i.every)).toEqual([86_400_000]);
    expect(daily.action).toMatchObject({
      workflowType: 'integrityWorkflow',
      taskQueue: queue,
      args: [{ full: false }],
    });
    const weekly = await env.client.schedule.getHandle(scheduleIdFor(config, 'integrity-full')).describe();
    expect(weekly.spec.intervals?.map((i) => i.every)).toEqual([7 * 86_400_000]);
    expect(weekly.action).toMatchObject({ workflowType: 'integrityWorkflow', args: [{ full: true }] });

    await writeTree(dir, { 'evidence-hub.yaml': `${base(queue)}integrity: { every: 12h, fullEvery: 30d }\n` });
    config = await loadConfig(file);
    expect(await syncSchedules(env.client, config)).toEqual({
      created: [],
      updated: ['integrity', 'integrity-full'],
      deleted: [],
      unchanged: [],
    });
    const twiceADay = await env.client.schedule.getHandle(scheduleIdFor(config, 'integrity')).describe();
    expect(twiceADay.spec.intervals?.map((i) => i.every)).toEqual([12 * 3_600_000]);

    await writeTree(dir, { 'evidence-hub.yaml': `${base(queue)}integrity: { enabled: false }\n` });
    config = await loadConfig(file);
    const removed = await syncSchedules(env.client, config);
    expect({ ...removed, deleted: removed.deleted.sort() }).toEqual({
      created: [],
      updated: [],
      deleted: ['integrity', 'integrity-full'],
      unchanged: [],
    });
    // The ids are the monitor's while it is enabled.
    await writeTree(dir, { 'evidence-hub.yaml': `${base(queue)}schedules:\n  - { id: integrity, every: 1h }\n` });
    await expect(loadConfig(file)).rejects.toThrow(/integrity monitor's schedule/);
  });

  it('backfill runs the scheduled sweep once per missed time, each sealing a bundle', async () => {
    const dir = await tempDir();
    const queue = `backfill-${randomBytes(4).toString('hex')}`;
    const { hub } = await hubIn(dir, `${base(queue)}schedules:\n  - { id: hourly, every: 1h, sources: [docs] }\n`, {
      'org/policies/ai-policy.md': '# p',
    });
    await syncSchedules(env.client, hub.config);
    const worker = await createHubWorker(hub, await signingKey(hub), quietLog, {
      connection: env.nativeConnection,
      workflowBundle: await workflowBundle(),
    });
    await worker.runUntil(async () => {
      await backfillSchedule(
        env.client,
        hub.config,
        'hourly',
        new Date('2026-11-01T00:00:00Z'),
        new Date('2026-11-01T02:30:00Z'),
      );
      await waitFor(
        'three backfilled sweeps',
        async () => ((await hub.store.sequences()).length >= 3 ? true : undefined),
        60_000,
        200,
      );
    });
    const manifests = await Promise.all((await hub.store.sequences()).map((s) => readManifest(hub.store, s)));
    expect(manifests).toHaveLength(3);
    for (const m of manifests) {
      expect(m!.trigger.type).toBe('schedule');
      expect(m!.sources.map((x) => x.source)).toEqual(['docs']);
    }
    await expect(backfillSchedule(env.client, hub.config, 'nope', new Date(), new Date())).rejects.toThrow(
      /no schedule "nope"/,
    );
  });
});
