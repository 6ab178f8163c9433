import type { TextFormat } from './rule';

// Media types: which artifacts are text (and in which format), which are binary, which need a look.

const textTypes = new Set([
  'application/json',
  'application/yaml',
  'application/x-yaml',
  'application/xml',
  'application/javascript',
  'application/x-ndjson',
  'application/jsonl',
  'application/toml',
  'application/x-sh',
  'application/sql',
  'application/csv',
  'application/x-www-form-urlencoded',
  'application/graphql',
  'application/x-httpd-php',
  'application/ld+json',
]);
const binaryTypes = new Set([
  'application/pdf',
  'application/zip',
  'application/gzip',
  'application/x-gzip',
  'application/x-tar',
  'application/x-7z-compressed',
  'application/x-bzip2',
  'application/x-xz',
  'application/zstd',
  'application/x-rar-compressed',
  'application/vnd.rar',
  'application/msword',
  'application/java-archive',
  'application/wasm',
  'application/x-sqlite3',
  'application/x-parquet',
  'application/vnd.apache.parquet',
  'application/x-protobuf',
  'application/cbor',
  'application/x-executable',
  'application/epub+zip',
]);

type Plan = { kind: 'binary'; reason: string } | { kind: 'text' | 'sniff'; format: TextFormat; tsv: boolean };

export function planFor(mediaType: string, artifactId: string): Plan {
  const mt = mediaType.split(';')[0]!.trim().toLowerCase();
  const name = artifactId.toLowerCase();
  const ext = /\.([a-z0-9]+)$/.exec(name)?.[1] ?? '';
  const jsonish =
    mt === 'application/json' ||
    mt === 'text/json' ||
    mt.endsWith('+json') ||
    (mt === 'application/octet-stream' && ext === 'json');
  const yamlish = mt.includes('yaml') || ext === 'yaml' || ext === 'yml';
  const csvish =
    mt === 'text/csv' ||
    mt === 'application/csv' ||
    mt === 'text/tab-separated-values' ||
    ext === 'csv' ||
    ext === 'tsv';
  const tsv = mt === 'text/tab-separated-values' || ext === 'tsv';
  const format: TextFormat = jsonish ? 'json' : yamlish ? 'yaml' : csvish ? 'csv' : 'text';
  const text = { format, tsv };
  if (
    mt.startsWith('text/') ||
    textTypes.has(mt) ||
    mt.endsWith('+json') ||
    mt.endsWith('+xml') ||
    mt.endsWith('+yaml')
  ) {
    return { kind: 'text', ...text };
  }
  if (
    binaryTypes.has(mt) ||
    /^(?:image|audio|video|font)\//.test(mt) ||
    mt.startsWith('application/vnd.openxmlformats-officedocument.') ||
    mt.startsWith('application/vnd.ms-') ||
    mt.startsWith('application/vnd.oasis.opendocument.') ||
    mt.endsWith('+zip')
  ) {
    return { kind: 'binary', reason: `binary media type ${mt}` };
  }
  return { kind: 'sniff', ...text };
}
