import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { initSigningKey, loadHub, type Hub } from '../../worker/hub';
import { createLogger } from '../../worker/logger';
import { installTemporalLogging, workflowsPath } from '../../worker/worker';
import { writeBundle } from './store-fixture';
import { writeTree } from './tmp';

export const quietLog = createLogger({ level: process.env['TEST_LOG_LEVEL'] ?? 'silent' });
// The SDK's own logs (expected activity failures, worker state) go through the same quiet logger.
installTemporalLogging(quietLog);

let bundle: Promise<{ code: string }> | undefined;
/** One workflow bundle per test file: bundling takes seconds, and the code does not change. */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: workflowsPath(),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
  });
  return bundle;
}

export interface HubFixture {
  dir: string;
  configFile: string;
  hub: Hub;
}

/** Writes a config (plus extra files) into `dir` and loads it exactly as the CLI would. */
export async function hubIn(
  dir: string,
  configYaml: string,
  files: Record<string, string | Buffer> = {},
): Promise<HubFixture> {
  await writeTree(dir, { 'evidence-hub.yaml': configYaml, ...files });
  const configFile = path.join(dir, 'evidence-hub.yaml');
  return { dir, configFile, hub: await loadHub(configFile) };
}

/**
 * The hub's signing key, initialised the way an operator does it (`evidence-hub keys init`): the key file
 * is created when missing and registered as the store's current key. Workers never do this themselves.
 */
export async function signingKey(hub: Hub) {
  return (await initSigningKey(hub.config, hub.store)).key;
}

/** Seals one more bundle of `files` into the hub's store, now, with the hub's own key and mappings. */
export async function sealNow(fx: HubFixture, bundleId: string, files: Record<string, string>): Promise<void> {
  await writeBundle(fx.hub.store, await signingKey(fx.hub), fx.hub.mappings, bundleId, files, new Date());
}

/** `evidence-hub keys init` for a config file, for tests that start workers as separate processes. */
export async function initKeys(configFile: string) {
  const hub = await loadHub(configFile);
  return (await initSigningKey(hub.config, hub.store)).key;
}

/**
 * Every string and byte field of the workflow's history as text: byte fields (payloads) both decoded as
 * UTF-8 and base64-encoded, so a search finds evidence in either form.
 */
export async function historyText(handle: WorkflowHandle): Promise<string> {
  const parts: string[] = [];
  const walk = (v: unknown): void => {
    if (v instanceof Uint8Array) {
      parts.push(Buffer.from(v).toString('utf8'), Buffer.from(v).toString('base64'));
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'string') parts.push(v);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        parts.push(k);
        walk(x);
      }
    }
  };
  walk(await handle.fetchHistory());
  return parts.join('\n');
}

/** Decoded results of completed activities of one type, with the attempt that completed them. */
export async function activityResults(
  handle: WorkflowHandle,
  activityType: string,
): Promise<{ attempt: number; result: unknown }[]> {
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, string>();
  const started = new Map<string, number>();
  const out: { attempt: number; result: unknown }[] = [];
  for (const e of history.events ?? []) {
    const id = String(e.eventId);
    if (e.activityTaskScheduledEventAttributes)
      scheduled.set(id, e.activityTaskScheduledEventAttributes.activityType?.name ?? '');
    if (e.activityTaskStartedEventAttributes)
      started.set(
        String(e.activityTaskStartedEventAttributes.scheduledEventId),
        e.activityTaskStartedEventAttributes.attempt ?? 0,
      );
    const done = e.activityTaskCompletedEventAttributes;
    if (done && scheduled.get(String(done.scheduledEventId)) === activityType) {
      const data = done.result?.payloads?.[0]?.data;
      out.push({
        attempt: started.get(String(done.scheduledEventId)) ?? 0,
        result: data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined,
      });
    }
  }
  return out;
}
