import { createHash } from 'node:crypto';

/**
 * Merkle root with RFC 6962 domain separation (0x00 for leaves, 0x01 for nodes), so a leaf can never be
 * passed off as an inner node. Leaves are the artifacts' sha256 values in manifest order. An empty bundle
 * has the hash of the empty string, as in RFC 6962.
 */
export function merkleRoot(leafHashesHex: readonly string[]): string {
  if (leafHashesHex.length === 0) return createHash('sha256').digest('hex');
  let level = leafHashesHex.map((h) => hash(Buffer.from([0]), Buffer.from(h, 'hex')));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1];
      // An odd node is promoted unchanged (RFC 6962 splits at the largest power of two; promotion gives the same root).
      next.push(right ? hash(Buffer.from([1]), left, right) : left);
    }
    level = next;
  }
  return level[0]!.toString('hex');
}

function hash(...parts: Buffer[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}
