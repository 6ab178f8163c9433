// The shape of bench/results.json and how a run's figures are stamped and merged with the kept ones.
// Every figure carries its own date, commit and machine: a partial run (`npm run bench -- cycle`) re-stamps
// only what it measured, so a figure never claims to describe code it was not measured on.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const root = path.join(__dirname, '..');

/** What a benchmark part measures, before it is stamped. */
export interface FigureDraft {
  benchmark: string;
  metric: string;
  value: number | string;
  unit: string;
  /** The goal, e.g. "≤ 5 %". */
  target?: string;
  /** Whether the goal was met; absent when the figure has no goal. */
  met?: boolean;
  /** When `met` is false: why the goal was missed and the next step (shown next to the goal). */
  shortfall?: string;
  note?: string;
}

export interface Stamp {
  /** When the figure was measured (ISO time). */
  date: string;
  /** `git rev-parse HEAD` when it was measured. */
  commit: string;
  /** The working tree differed from `commit` in files the benchmark depends on. */
  dirty: boolean;
  /**
   * Digest of the benchmark's source files as measured (git blob ids, see sourcesDigest): lets `--check`
   * accept a figure measured on uncommitted changes that were then committed unchanged.
   */
  sourcesDigest?: string;
  machine: string;
  /** Set on figures recorded before per-figure stamping: their date and commit were read from git history. */
  provenance?: string;
}

export type Figure = FigureDraft & Stamp;

export interface Results {
  format: 'evidence-hub/bench@2';
  figures: Figure[];
  raw: Record<string, unknown>;
}

export function machine(): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

export function git(args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim();
}

/** Tracked and untracked (not ignored) files under `paths`, as they are in the working tree. */
function workingFiles(paths: readonly string[]): string[] {
  const listed = git(['ls-files', '--cached', '--others', '--exclude-standard', '--', ...paths]);
  return [...new Set(listed.split('\n').filter((f) => f && existsSync(path.join(root, f))))].sort();
}

function digestOf(rows: readonly string[]): string {
  return createHash('sha256')
    .update([...rows].sort().join('\n'))
    .digest('hex');
}

/** Digest over (path, git blob id) of the working-tree files under `paths`. */
export function workingSourcesDigest(paths: readonly string[]): string {
  const files = workingFiles(paths);
  if (files.length === 0) return digestOf([]);
  const ids = execFileSync('git', ['hash-object', '--stdin-paths'], {
    cwd: root,
    encoding: 'utf8',
    input: files.join('\n') + '\n',
  })
    .trim()
    .split('\n');
  return digestOf(files.map((f, i) => `${f} ${ids[i]}`));
}

/** The same digest over the files under `paths` as committed at `rev`. */
export function committedSourcesDigest(rev: string, paths: readonly string[]): string {
  const out = git(['ls-tree', '-r', rev, '--', ...paths]);
  const rows = out
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [meta, file] = l.split('\t');
      return `${file} ${meta!.split(' ')[2]}`;
    });
  return digestOf(rows);
}

/**
 * The stamp of a benchmark, taken when its part starts: HEAD, whether its sources differ from HEAD, and
 * their digest then (files edited while a long part runs must not be credited to it).
 */
export function takeStamp(sources: readonly string[], at = new Date()): Stamp {
  return {
    date: at.toISOString(),
    commit: git(['rev-parse', 'HEAD']),
    dirty: git(['status', '--porcelain', '--', ...sources]).length > 0,
    sourcesDigest: workingSourcesDigest(sources),
    machine: machine(),
  };
}

export function applyStamp(drafts: readonly FigureDraft[], s: Stamp): Figure[] {
  return drafts.map((d) => ({ ...d, ...s }));
}

/**
 * The new results: the parts that ran replace all their earlier figures; every other figure is kept as
 * it was, stamp included. Order: the earlier order of parts, new parts after it.
 */
export function mergeResults(
  previous: Results | undefined,
  fresh: readonly Figure[],
  freshRaw: Record<string, unknown>,
): Results {
  const ran = new Set(fresh.map((f) => f.benchmark));
  const kept = (previous?.figures ?? []).filter((f) => !ran.has(f.benchmark));
  const order = [...new Set([...(previous?.figures ?? []).map((f) => f.benchmark), ...ran])];
  const figures = [...kept, ...fresh].sort((a, b) => order.indexOf(a.benchmark) - order.indexOf(b.benchmark));
  const raw = { ...(previous?.raw ?? {}) };
  for (const [k, v] of Object.entries(freshRaw)) raw[k] = v;
  return { format: 'evidence-hub/bench@2', figures, raw };
}
