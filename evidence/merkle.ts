import { createHash, hash as sha256Once } from 'node:crypto';

/**
 * Merkle root with RFC 6962 domain separation (0x00 for leaves, 0x01 for nodes), so a leaf can never be
 * passed off as an inner node. Leaves are the artifacts' sha256 values in manifest order. An empty bundle
 * has the hash of the empty string, as in RFC 6962.
 */
export function merkleRoot(leafHashesHex: readonly string[]): string {
  if (leafHashesHex.length === 0) return createHash('sha256').digest('hex');
  // Every hash input is built in one reused buffer and hashed in one call: a deep sweep's manifest has
  // 20,000 leaves (40,000 hashes), and a Hash object with two or three updates per node cost twice as much.
  const leaf = Buffer.alloc(1 + 32, 0x00);
  let level = leafHashesHex.map((h) =>
    /^[0-9a-f]{64}$/i.test(h) && leaf.write(h, 1, 'hex') === 32
      ? sha256(leaf)
      : sha256(Buffer.concat([leaf.subarray(0, 1), Buffer.from(h, 'hex')])),
  );
  const node = Buffer.alloc(1 + 32 + 32, 0x01);
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) {
      const left = level[i]!;
      const right = level[i + 1];
      // An odd node is promoted unchanged (RFC 6962 splits at the largest power of two; promotion gives the same root).
      if (!right) {
        next.push(left);
        continue;
      }
      left.copy(node, 1);
      right.copy(node, 33);
      next.push(sha256(node));
    }
    level = next;
  }
  return level[0]!.toString('hex');
}

function sha256(data: Buffer): Buffer {
  return sha256Once('sha256', data, 'buffer');
}
