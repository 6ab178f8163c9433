// `npm run bench -- --check`: which figures describe code that changed since they were measured.
import { committedSourcesDigest, git, type Figure } from './figures';
import { sourcesOf } from './sources';

export interface StaleFigure {
  figure: Figure;
  /** Commits after the figure's commit that touched its sources (newest first, short ids). */
  commits: string[];
  /** Why it is stale, one line. */
  reason: string;
}

function commitExists(commit: string): boolean {
  try {
    git(['cat-file', '-e', `${commit}^{commit}`]);
    return true;
  } catch {
    return false;
  }
}

/**
 * A figure is stale when a commit after its own (`git log <commit>..HEAD -- <sources>`) changed a file it
 * depends on, unless the files under its sources at HEAD are exactly the ones it was measured on (a figure
 * measured on a dirty tree whose changes were then committed as they were). A figure whose commit is
 * not in this repository's history cannot be checked, and counts as stale.
 */
export function staleFigures(figures: readonly Figure[]): StaleFigure[] {
  const out: StaleFigure[] = [];
  const cache = new Map<string, StaleFigure | null>();
  for (const figure of figures) {
    const key = `${figure.benchmark}\u0000${figure.commit}\u0000${figure.sourcesDigest ?? ''}`;
    let verdict = cache.get(key);
    if (verdict === undefined) {
      verdict = judge(figure);
      cache.set(key, verdict);
    }
    if (verdict) out.push({ ...verdict, figure });
  }
  return out;
}

function judge(figure: Figure): StaleFigure | null {
  const sources = sourcesOf(figure.benchmark);
  if (!commitExists(figure.commit)) {
    return { figure, commits: [], reason: `commit ${figure.commit.slice(0, 10)} is not in this repository` };
  }
  const commits = git(['log', '--format=%h', `${figure.commit}..HEAD`, '--', ...sources])
    .split('\n')
    .filter(Boolean);
  if (commits.length === 0) return null;
  if (figure.sourcesDigest && committedSourcesDigest('HEAD', sources) === figure.sourcesDigest) return null;
  return {
    figure,
    commits,
    reason: `${commits.length} commit(s) since ${figure.commit.slice(0, 10)} changed ${sources.join(', ')} (newest ${commits[0]})`,
  };
}
