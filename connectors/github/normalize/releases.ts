import { codeUnitOrder } from '../../../core/order';
import type { Release } from '../api-schemas';
import { iso, type Normalized } from './normalized';

export function normalizeRelease(repository: string, r: Release): Normalized {
  const record = {
    repository,
    id: r.id,
    tag: r.tag_name,
    name: r.name,
    prerelease: r.prerelease,
    createdAt: iso(r.created_at),
    publishedAt: r.published_at ? iso(r.published_at) : null,
    author: r.author?.login ?? null,
    targetCommitish: r.target_commitish,
    assets: r.assets.map((a) => a.name).sort(),
    // Size, content type and GitHub's digest (`sha256:…`, null for assets uploaded before GitHub
    // computed one) tell which bytes were shipped, not only their names.
    assetDetails: [...r.assets]
      .sort((a, b) => codeUnitOrder(a.name, b.name))
      .map((a) => ({
        name: a.name,
        size: a.size ?? null,
        contentType: a.content_type ?? null,
        digest: a.digest ?? null,
      })),
    url: r.html_url,
  };
  const { url: _url, id: _id, assetDetails, ...attrs } = record;
  return {
    record,
    attributes: {
      ...attrs,
      releaseId: r.id,
      assetCount: assetDetails.length,
      assetBytes: assetDetails.reduce((sum, a) => sum + (a.size ?? 0), 0),
      assetsDigested: assetDetails.length > 0 && assetDetails.every((a) => a.digest !== null),
      assetDigests: assetDetails.flatMap((a) => (a.digest !== null ? [`${a.name} ${a.digest}`] : [])),
      observedAtFrom: r.published_at ? 'published_at' : 'created_at',
    },
  };
}

export function normalizeTags(repository: string, tags: { name: string; commit: { sha: string } }[]): Normalized {
  const list = tags.map((t) => ({ name: t.name, sha: t.commit.sha })).sort((a, b) => codeUnitOrder(a.name, b.name));
  return {
    record: { repository, tags: list },
    attributes: { repository, count: list.length, observedAtFrom: 'response-date' },
  };
}
