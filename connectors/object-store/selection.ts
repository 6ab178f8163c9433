import picomatch from 'picomatch';
import { z } from 'zod';

/**
 * Which objects of a scope are recorded and whose bytes are collected: the document selection shared by
 * the object-store connectors (S3, Azure Blob, GCS), so a glob means the same thing in each of them.
 */
export interface DocumentSelection {
  prefix: string;
  include: readonly string[];
  exclude: readonly string[];
  content: readonly string[];
  maxContentBytes: number;
}

/** The selection fields of a scope entry, with their defaults (each connector adds its own location fields). */
export const documentSelectionShape = {
  prefix: z.string().default(''),
  /** Globs on the name below the prefix; default every object. */
  include: z.array(z.string().min(1)).default([]),
  exclude: z.array(z.string().min(1)).default([]),
  /** Objects whose content is collected (the rest are recorded by their metadata only). */
  content: z.array(z.string().min(1)).default([]),
  /** Content larger than this is not downloaded; the metadata record says why. */
  maxContentBytes: z
    .number()
    .int()
    .positive()
    .default(50 * 1024 * 1024),
};

export interface ContentDecision {
  collect: boolean;
  /** The `content` attribute: `collected`, `metadata only`, or why not. */
  note: string;
}

export interface Selector {
  /** Whether a listed name (the full key, prefix included) is recorded at all. */
  wanted(name: string): boolean;
  /** The name below the prefix, which globs and `path` attributes use. */
  relative(name: string): string;
  content(name: string, size: number): ContentDecision;
}

export function selectorFor(scope: DocumentSelection): Selector {
  // dot: true so that `**` also matches `.hidden/...` names: a hidden object is still evidence.
  const include = scope.include.length > 0 ? picomatch([...scope.include], { dot: true }) : () => true;
  const exclude = scope.exclude.length > 0 ? picomatch([...scope.exclude], { dot: true }) : () => false;
  const content = scope.content.length > 0 ? picomatch([...scope.content], { dot: true }) : () => false;
  const relative = (name: string) => name.slice(scope.prefix.length);
  return {
    relative,
    wanted: (name) => name.startsWith(scope.prefix) && include(relative(name)) && !exclude(relative(name)),
    content(name, size) {
      if (!content(relative(name))) return { collect: false, note: 'metadata only' };
      if (size > scope.maxContentBytes)
        return { collect: false, note: `not collected: larger than maxContentBytes (${scope.maxContentBytes})` };
      return { collect: true, note: 'collected' };
    },
  };
}
