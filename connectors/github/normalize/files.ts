import path from 'node:path';
import { parseFrontMatter } from '../../../core/front-matter';
import { sortedUnique, type Attributes, type Normalized } from './normalized';

// CODEOWNERS and the policy files collected by glob from the default branch.

export const codeownersPaths = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS'] as const;

export interface LastCommit {
  sha: string;
  at: string;
  author: string | null;
}

export function codeownersAttributes(
  repository: string,
  filePath: string,
  content: string,
  blobSha: string,
  last: LastCommit | undefined,
): Attributes {
  const rules = content
    .split(/\r?\n/)
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter((l) => l.length > 0)
    .map((l) => l.split(/\s+/));
  const owners = sortedUnique(rules.flatMap(([, ...o]) => o));
  return {
    repository,
    present: true,
    path: filePath,
    ruleCount: rules.length,
    owners,
    hasDefaultOwner: rules.some(
      ([pattern, ...o]) => (pattern === '*' || pattern === '/**' || pattern === '**') && o.length > 0,
    ),
    blobSha,
    lastCommitSha: last?.sha ?? null,
    lastCommitAt: last?.at ?? null,
    observedAtFrom: 'response-date',
  };
}

export function absentCodeowners(repository: string, branch: string): Normalized {
  const record = { repository, branch, present: false, searched: [...codeownersPaths] };
  return {
    record,
    attributes: {
      repository,
      present: false,
      ruleCount: 0,
      owners: [],
      hasDefaultOwner: false,
      observedAtFrom: 'response-date',
    },
  };
}

export function fileAttributes(
  repository: string,
  filePath: string,
  blobSha: string,
  size: number,
  last: LastCommit,
  content: Buffer,
): Attributes {
  const attrs: Attributes = {
    repository,
    path: filePath,
    name: path.posix.basename(filePath),
    directory: path.posix.dirname(filePath) === '.' ? '' : path.posix.dirname(filePath),
    extension: path.posix.extname(filePath).toLowerCase(),
    blobSha,
    size,
    lastCommitSha: last.sha,
    lastCommitAt: last.at,
    lastCommitAuthor: last.author,
    observedAtFrom: 'last-commit',
  };
  const fm = parseFrontMatter(content);
  if (fm.frontMatter) attrs['frontMatter'] = fm.frontMatter;
  if (fm.error) attrs['metadataError'] = fm.error;
  return attrs;
}
