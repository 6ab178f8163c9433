import path from 'node:path';
import { canonicalJson, fingerprint } from '../../core/digest';
import { mediaTypeFor, type KnownExtension } from '../../core/media-types';
import { codeUnitOrder } from '../../core/order';
import type { CollectOptions } from '../types';
import { common } from './artifacts';
import type { Emitted, RegistryContext } from './context';
import type { RegistryArtifactFile, RegistryModelVersion, RegistryRun, VersionDetails } from './types';

/** A version's run, its model cards, and a hash of both listings (to tell a changed production version). */
/** The version's run and the model cards among its artifacts (documentation locations and `modelCards.dirs`). */
export async function versionDetails(
  cx: RegistryContext,
  v: RegistryModelVersion,
  signal: AbortSignal | undefined,
): Promise<VersionDetails> {
  let run: RegistryRun | undefined;
  if (v.runId) {
    run = await cx.client.getRun(v.runId, signal);
    if (!run) cx.counters.runsMissing++;
  }
  const cards = new Map<string, RegistryArtifactFile>();
  const locations = cx.client.documentationLocations(v);
  const extra = cx.opts.modelCards.dirs.map((d) => d.replace(/^\/+|\/+$/g, ''));
  const roots = [...new Set(locations.map((l) => l.root))];
  const seen = new Set<string>();
  for (const loc of [...locations, ...roots.flatMap((root) => extra.map((dir) => ({ root, dir })))]) {
    const key = `${loc.root}\u0000${loc.dir}`;
    if (seen.has(key)) continue;
    seen.add(key);
    for (const f of await cx.client.listArtifacts(v, loc, signal)) {
      if (!f.isDir && cx.isCard(path.posix.basename(f.path))) cards.set(`${f.root}\u0000${f.path}`, f);
    }
  }
  const cardList = [...cards.values()].sort((a, b) => codeUnitOrder(a.root, b.root) || codeUnitOrder(a.path, b.path));
  const content = fingerprint(
    {
      run: run
        ? { s: run.status ?? null, e: run.endedAt ?? null, m: run.metrics, p: run.params, d: run.datasets }
        : null,
      cards: cardList.map((c) => [c.root, c.path, c.size ?? null]),
    },
    32,
  );
  return { ...(run ? { run } : {}), cards: cardList, content };
}

/** The `model-card` artifact: the card's bytes, or a record without them when it is over `modelCards.maxBytes`. */
export async function cardArtifact(
  cx: RegistryContext,
  v: RegistryModelVersion,
  card: RegistryArtifactFile,
  run: RegistryRun | undefined,
  versionObservedAt: number,
  log: CollectOptions['log'],
  signal: AbortSignal | undefined,
): Promise<Emitted | undefined> {
  const max = cx.opts.modelCards.maxBytes;
  const base = {
    ...common(cx, v),
    artifactRoot: card.root,
    path: card.path,
    fileName: path.posix.basename(card.path),
    ...(v.runId ? { runId: v.runId } : {}),
  };
  const tooLarge = (size: number | undefined, endpoint: string): Emitted => {
    cx.counters.cardsTooLarge++;
    log.warn(
      { source: cx.opts.sourceId, modelVersion: `${v.model}/${v.version}`, path: card.path, size, maxBytes: max },
      'model card larger than modelCards.maxBytes; recorded without its content',
    );
    return {
      externalId: `models/${v.model}/versions/${v.version}/cards/${card.root}/${card.path}`,
      kind: 'model-card',
      observedAt: run?.endedAt ?? versionObservedAt,
      mediaType: 'application/json',
      attributes: {
        ...base,
        ...(size !== undefined ? { size } : {}),
        contentStored: false,
        reason: `larger than modelCards.maxBytes (${max} bytes)`,
      },
      endpoint,
      body: canonicalJson({
        root: card.root,
        path: card.path,
        size: size ?? null,
        contentStored: false,
        maxBytes: max,
        location: endpoint,
      }),
    };
  };
  if (card.size !== undefined && card.size > max) return tooLarge(card.size, cx.client.location);
  const res = await cx.client.downloadArtifact(v, card, max, signal);
  if (res.kind === 'too-large') return tooLarge(res.size, res.endpoint);
  if (res.kind === 'not-found') {
    log.warn(
      { source: cx.opts.sourceId, modelVersion: `${v.model}/${v.version}`, path: card.path },
      'model card listed but gone when downloaded',
    );
    return undefined;
  }
  cx.counters.cardsDownloaded++;
  return {
    externalId: `models/${v.model}/versions/${v.version}/cards/${card.root}/${card.path}`,
    kind: 'model-card',
    observedAt: res.lastModified ?? run?.endedAt ?? versionObservedAt,
    mediaType: mediaTypeFor(card.path, cardExtensions),
    attributes: {
      ...base,
      size: res.bytes.length,
      contentStored: true,
      observedAtFrom: res.lastModified !== undefined ? 'last-modified' : 'run',
    },
    endpoint: res.endpoint,
    ...(res.etag ? { etag: res.etag } : {}),
    body: res.bytes,
  };
}

/** The formats model cards are typed as; any other card is stored with the generic type. */
const cardExtensions: readonly KnownExtension[] = [
  '.md',
  '.markdown',
  '.txt',
  '.html',
  '.htm',
  '.pdf',
  '.json',
  '.yaml',
  '.yml',
];
