import path from 'node:path';

// Only the formats people keep policies, procedures, registers and inventories in. Anything else is
// stored as-is with the generic type, which is honest and still verifiable.
const byExtension = {
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.txt': 'text/plain',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.json': 'application/json',
  '.yaml': 'application/yaml',
  '.yml': 'application/yaml',
  '.html': 'text/html',
  '.htm': 'text/html',
  '.xml': 'application/xml',
  '.pdf': 'application/pdf',
  '.doc': 'application/msword',
  '.docx': 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  '.xls': 'application/vnd.ms-excel',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  '.ppt': 'application/vnd.ms-powerpoint',
  '.pptx': 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  '.odt': 'application/vnd.oasis.opendocument.text',
  '.ods': 'application/vnd.oasis.opendocument.spreadsheet',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.zip': 'application/zip',
  '.gz': 'application/gzip',
} as const satisfies Record<string, string>;

export type KnownExtension = keyof typeof byExtension;

function isKnown(ext: string): ext is KnownExtension {
  return Object.hasOwn(byExtension, ext);
}

/**
 * The media type for a file name, by its extension. With `only`, extensions outside that list get the
 * generic type too (a connector that has always typed just a few formats keeps doing so).
 */
export function mediaTypeFor(file: string, only?: readonly KnownExtension[]): string {
  const ext = path.extname(file).toLowerCase();
  return isKnown(ext) && (!only || only.includes(ext)) ? byExtension[ext] : 'application/octet-stream';
}
