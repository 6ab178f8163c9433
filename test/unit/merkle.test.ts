import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { merkleRoot } from '../../evidence/merkle';
import { assertProperty } from '../support/property';

/** RFC 6962 §2.1, written recursively as the RFC states it. */
function rfc6962(leaves: Buffer[]): Buffer {
  const h = (...p: Buffer[]) => createHash('sha256').update(Buffer.concat(p)).digest();
  if (leaves.length === 0) return h();
  if (leaves.length === 1) return h(Buffer.from([0]), leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return h(Buffer.from([1]), rfc6962(leaves.slice(0, k)), rfc6962(leaves.slice(k)));
}

describe('Merkle root', () => {
  it('matches the recursive RFC 6962 definition for any number of leaves', () => {
    assertProperty(
      fc.property(fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 70 }), (leaves) => {
        const hex = leaves.map((l) => Buffer.from(l).toString('hex'));
        expect(merkleRoot(hex)).toBe(rfc6962(leaves.map((l) => Buffer.from(l))).toString('hex'));
      }),
      { numRuns: 100, minRuns: 100 },
    );
  });

  it('changes when any leaf changes or leaves are reordered', () => {
    const a = 'a'.repeat(64);
    const b = 'b'.repeat(64);
    expect(merkleRoot([a, b])).not.toBe(merkleRoot([b, a]));
    expect(merkleRoot([a, b])).not.toBe(merkleRoot([a, a]));
  });
});
