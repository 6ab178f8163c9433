import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type {
  ConsoleActions,
  ExportOutcome,
  SweepRow,
  SweepStatus,
  SweepView,
  UploadOutcome,
} from '../console/actions';
import { ConsoleInputError } from '../console/server';
import { ExportError, exportAuditPack } from '../evidence/export';
import type { Signer } from '../evidence/signing';
import { auditsInOrder } from '../mappings/readiness';
import { loadSigningKey, type Hub } from '../worker/hub';
import type { SweepResult, SourceState } from '../workflows';
import { progressQuery, sweepBundleId } from '../workflows/sweep';
import { parseDateArg, UsageError } from './command-kit';
import { exportWindow } from './commands/export';
import { runUpload } from './commands/upload';

/** How many past sweeps the history lists (newest first). */
const historyLimit = 50;
/** How long a progress query may take before the page is shown without it (a sweep with no worker polling). */
const queryTimeoutMs = 3000;

const statusOf: Record<string, SweepStatus> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed-out',
};

/** A usage error of the command's own code (a bad date, an unknown topic) is bad input to the console: 400. */
async function asInput<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UsageError || err instanceof ExportError) throw new ConsoleInputError(err.message);
    throw err;
  }
}

/** A name for a file on disk from an uploaded file's name: its last segment, in safe characters. */
export function safeUploadName(name: string): string {
  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[^\w.-]+/g, '_').replace(/^\.+/, '');
  return base.slice(0, 120) || 'upload';
}

/**
 * The console's actions on a loaded hub, each through its command's own code: `upload`'s runUpload (topic
 * rules, no overwrite, effective date), `export`'s window and exportAuditPack, and the sweep workflow's
 * own progress query. `client` connects to Temporal on first use.
 */
export function consoleActions(hub: Hub, client: () => Promise<Client>): ConsoleActions {
  let key: Promise<Signer> | undefined;

  const row = async (
    info: Pick<WorkflowExecutionInfo, 'status' | 'workflowId' | 'runId' | 'startTime' | 'closeTime'>,
  ): Promise<SweepRow> => {
    const status = statusOf[info.status.name] ?? 'other';
    const sealed =
      status === 'completed' ? await hub.store.findBundle(sweepBundleId(info.workflowId, info.runId)) : undefined;
    return {
      workflowId: info.workflowId,
      status,
      startedAt: info.startTime.toISOString(),
      ...(info.closeTime ? { closedAt: info.closeTime.toISOString() } : {}),
      ...(sealed ? { bundle: { sequence: sealed.sequence, bundleId: sealed.bundleId } } : {}),
    };
  };

  /** A sweep of this hub's task queue, or undefined: the console never touches other workflows. */
  const sweepHandle = async (workflowId: string) => {
    const handle = (await client()).workflow.getHandle(workflowId);
    const info = await handle.describe().catch(() => undefined);
    if (!info || info.type !== 'sweepWorkflow' || info.taskQueue !== hub.config.temporal.taskQueue) return undefined;
    return { handle, info };
  };

  return {
    sourceIds: () => hub.config.sources.map((s) => s.id),
    uploadTopics: () => [...new Set(hub.mappings.rules.flatMap((r) => r.uploadTopics))].sort(),
    audits: () =>
      hub.config.audits ? auditsInOrder(hub.config.audits).map((a) => ({ id: a.id, date: a.date, type: a.type })) : [],

    readAlertState: () => hub.store.readAlertState(),

    async listSweeps() {
      const query = `WorkflowType = 'sweepWorkflow' AND TaskQueue = '${hub.config.temporal.taskQueue.replace(/'/g, '')}'`;
      const rows: SweepRow[] = [];
      for await (const info of (await client()).workflow.list({ query })) {
        rows.push(await row(info));
        if (rows.length >= historyLimit) break;
      }
      return rows.sort((a, b) => (a.startedAt < b.startedAt ? 1 : -1));
    },

    async sweep(workflowId) {
      const found = await sweepHandle(workflowId);
      if (!found) return undefined;
      const view: SweepView = await row(found.info);
      if (view.status === 'completed') {
        // A closed sweep's outcome is its result: no replay needed to show what each source did.
        const result = (await found.handle.result()) as SweepResult;
        const sources: Record<string, SourceState> = {};
        for (const o of result.sources)
          sources[o.source] =
            o.status === 'failed'
              ? { state: 'failed', error: `${o.error.type}: ${o.error.message}` }
              : { state: 'done', artifactCount: o.artifactCount };
        view.progress = { bundleId: result.bundle.bundleId, phase: 'done', sources, batches: [] };
      } else {
        let timer: NodeJS.Timeout | undefined;
        view.progress = await Promise.race([
          found.handle.query(progressQuery).catch(() => undefined),
          new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), queryTimeoutMs))),
        ]).finally(() => clearTimeout(timer));
      }
      return view;
    },

    async cancelSweep(workflowId) {
      const found = await sweepHandle(workflowId);
      if (!found) throw new ConsoleInputError(`no sweep "${workflowId}" on this hub`);
      if (found.info.status.name !== 'RUNNING') throw new ConsoleInputError(`sweep ${workflowId} is not running`);
      await found.handle.cancel();
    },

    async upload(request, by): Promise<UploadOutcome> {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'eh-upload-'));
      try {
        const file = path.join(dir, safeUploadName(request.filename));
        await writeFile(file, request.bytes);
        const done = await asInput(() =>
          runUpload(
            [file],
            {
              config: hub.config.file,
              topic: request.topic,
              by,
              ...(request.date ? { date: request.date } : {}),
              ...(request.note ? { note: request.note } : {}),
              ...(request.source ? { source: request.source } : {}),
            },
            new Date(),
            () => undefined,
          ),
        );
        const r = done.records[0]!;
        return {
          source: done.source,
          topic: request.topic,
          file: path.basename(r.path),
          sha256: r.sha256,
          effective: done.effective,
          outcome: r.kind,
        };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },

    async exportPack(request): Promise<ExportOutcome> {
      const window = await asInput(async () =>
        exportWindow(hub.config, {
          ...(request.from ? { from: request.from } : {}),
          ...(request.to ? { to: request.to } : {}),
          ...(request.audit ? { audit: request.audit } : {}),
        }),
      );
      const from = await asInput(async () => parseDateArg(window.from, 'start', 'from'));
      const to = await asInput(async () => parseDateArg(window.to, 'end', 'to'));
      key ??= loadSigningKey(hub.config);
      const dir = await mkdtemp(path.join(os.tmpdir(), 'eh-export-'));
      const day = (d: Date) => d.toISOString().slice(0, 10).replace(/-/g, '');
      const filename = `evidence-pack-${day(from)}-${day(to)}.tar.gz`;
      const dispose = () => rm(dir, { recursive: true, force: true });
      try {
        const result = await asInput(async () =>
          exportAuditPack(hub, {
            from,
            to,
            out: path.join(dir, filename),
            key: await key!,
            ...(request.controls ? { controls: request.controls } : {}),
          }),
        );
        return {
          file: result.out,
          filename,
          from: from.toISOString(),
          to: to.toISOString(),
          bundles: result.bundles,
          fingerprint: result.fingerprint,
          dispose,
        };
      } catch (err) {
        await dispose();
        throw err;
      }
    },
  };
}
