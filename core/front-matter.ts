import { parse as parseYaml } from 'yaml';
import { toJson, type JsonValue } from './json';

/** Front matter is only looked for in the first bytes of a text document. */
export const frontMatterScanBytes = 64 * 1024;

/** What a document's head says: its front matter, why the block found is unusable, or nothing (no block). */
export interface FrontMatter {
  frontMatter?: Record<string, JsonValue>;
  error?: string;
}

/**
 * YAML front matter (`---` … `---` or `...`) at the top of a text document, from its first
 * `frontMatterScanBytes` bytes. Shared by the folder and GitHub connectors so a policy file yields the same
 * attributes wherever it is collected from.
 */
export function parseFrontMatter(content: Buffer): FrontMatter {
  const head = content
    .subarray(0, frontMatterScanBytes)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  const m = /^---\r?\n([\s\S]*?)\r?\n(?:---|\.\.\.)\s*(?:\r?\n|$)/.exec(head);
  if (!m) return {};
  try {
    const value: unknown = parseYaml(m[1] ?? '', { maxAliasCount: 10 });
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      return { error: 'front matter is not a key/value map' };
    return { frontMatter: toJson(value) as Record<string, JsonValue> };
  } catch (err) {
    return { error: `front matter is not valid YAML: ${(err as Error).message.split('\n')[0]}` };
  }
}
