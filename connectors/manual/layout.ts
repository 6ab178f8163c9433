import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { z } from 'zod';
import { sha256OfStream } from '../../core/digest';

/**
 * How manual evidence is kept: a folder per topic (`training/`, `contract-clauses/`), each record a file,
 * with an optional sidecar `<file>.meta.yaml` saying when the record took effect, who filed it and why.
 * `evidence-hub upload` writes this layout; people may also drop files in by hand.
 */
export const sidecarSuffix = '.meta.yaml';

export const sidecarSchema = z.looseObject({
  topic: z.string().min(1).optional(),
  /** The date the record took effect (a training completed, a contract signed): freshness counts from it. */
  effective_date: z.union([z.string(), z.date()]).optional(),
  uploaded_by: z.string().optional(),
  uploaded_at: z.union([z.string(), z.date()]).optional(),
  note: z.string().optional(),
  /** The version of the document the record is about (the AI policy an acknowledgement acknowledges). */
  policy_version: z.union([z.string(), z.number()]).optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
});
export type Sidecar = z.infer<typeof sidecarSchema>;

/** Reads a record's sidecar: undefined when there is none; a message when it cannot be used. */
export async function readSidecar(file: string): Promise<{ sidecar?: Sidecar; problem?: string }> {
  let text: string;
  try {
    text = await readFile(file + sidecarSuffix, 'utf8');
  } catch {
    return {};
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    return {
      problem: `${path.basename(file)}${sidecarSuffix} is not valid YAML: ${(err as Error).message.split('\n')[0]}`,
    };
  }
  const parsed = sidecarSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      problem: `${path.basename(file)}${sidecarSuffix}: ${issue.path.join('.') || '(top level)'}: ${issue.message}`,
    };
  }
  return { sidecar: parsed.data };
}

/** A YAML date (unquoted 2026-11-01) or a string, as an ISO instant; undefined when it is not a date. */
export function isoDate(v: string | Date | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = v instanceof Date ? v.getTime() : Date.parse(v);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

export interface FileRecordRequest {
  /** The manual source's folder. */
  root: string;
  file: string;
  topic: string;
  /** yyyy-mm-dd: when the record took effect. */
  effective: string;
  uploadedBy: string;
  uploadedAt: Date;
  note?: string;
  /** The policy version the record acknowledges (sidecar `policy_version`). */
  policyVersion?: string;
}

export type FileRecordResult = { kind: 'filed' | 'already-filed'; path: string; sha256: string };

/**
 * Copies a record into `<root>/<topic>/<effective>-<name>` with its sidecar. Filing the same bytes again
 * is a no-op; a different file under the same name is refused (nothing is overwritten: it is evidence).
 * The copy is written under a temporary name and renamed, so a full disk leaves no half record.
 */
export async function fileRecord(req: FileRecordRequest): Promise<FileRecordResult> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(req.topic))
    throw new RecordError(`topic "${req.topic}": use lowercase words joined by "-" (e.g. training)`);
  const sha256 = await sha256OfStream(createReadStream(req.file));
  const dir = path.join(req.root, req.topic);
  const name = `${req.effective}-${path.basename(req.file)}`;
  const target = path.join(dir, name);
  const existing = await stat(target).catch(() => undefined);
  if (existing) {
    if ((await sha256OfStream(createReadStream(target))) === sha256)
      return { kind: 'already-filed', path: target, sha256 };
    throw new RecordError(
      `${target} already exists with different content; evidence is never overwritten: rename the file or give another --date`,
    );
  }
  await mkdir(dir, { recursive: true });
  const sidecar: Record<string, string> = {
    topic: req.topic,
    effective_date: req.effective,
    uploaded_by: req.uploadedBy,
    uploaded_at: req.uploadedAt.toISOString(),
    ...(req.note ? { note: req.note } : {}),
    ...(req.policyVersion ? { policy_version: req.policyVersion } : {}),
    sha256,
  };
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    await writeFile(target + sidecarSuffix, toYaml(sidecar));
    await copyFile(req.file, tmp);
    await rename(tmp, target);
  } catch (err) {
    await rm(tmp, { force: true });
    await rm(target + sidecarSuffix, { force: true });
    throw err;
  }
  return { kind: 'filed', path: target, sha256 };
}

export class RecordError extends Error {
  override readonly name = 'RecordError';
}
