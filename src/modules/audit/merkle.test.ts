import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MerkleFrontier,
  consistencyProof,
  frontierRanges,
  hashLeaf,
  inclusionProof,
  nodesFromLeaves,
  rangeProof,
  rootFromRangeProof,
  treeHash,
  verifyConsistency,
  verifyInclusion,
  verifyRangeProof,
} from './merkle.ts';

const h = (hex: string): Buffer => Buffer.from(hex, 'hex');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// Certificate Transparency's reference tree (RFC 6962 test vectors).
const CT_DATA = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(h);
const CT_LEAVES = CT_DATA.map((d) => hashLeaf(d));
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION: { index: number; size: number; path: string[] }[] = [
  { index: 0, size: 1, path: [] },
  {
    index: 0,
    size: 8,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    path: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    path: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];
const CT_CONSISTENCY: { m: number; n: number; proof: string[] }[] = [
  { m: 1, n: 1, proof: [] },
  {
    m: 1,
    n: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    m: 6,
    n: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    m: 6,
    n: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    m: 2,
    n: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

/** RFC 6962 §2.1 MTH written out recursively, independent of the frontier code. */
function referenceRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leaves[0] as Buffer;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(referenceRoot(leaves.slice(0, k)))
    .update(referenceRoot(leaves.slice(k)))
    .digest();
}

const leavesOf = (n: number): Buffer[] => Array.from({ length: n }, (_, i) => hashLeaf(`entry ${i}`));

/** Flip one bit of one hash in a list, chosen by two numbers. */
function flip(list: readonly Buffer[], which: number, bit: number): Buffer[] {
  const out = list.map((b) => Buffer.from(b));
  const t = out[which % out.length] as Buffer;
  const byte = Math.floor(bit / 8) % t.length;
  t[byte] = (t[byte] as number) ^ (1 << (bit % 8));
  return out;
}

describe('merkle tree (RFC 6962)', () => {
  it('hashes the CT reference tree to the published roots for sizes 0 through 8', () => {
    expect(hex(treeHash([]))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    for (let n = 1; n <= 8; n++) expect(hex(treeHash(CT_LEAVES.slice(0, n)))).toBe(CT_ROOTS[n - 1]);
    expect(hex(treeHash(CT_LEAVES))).toBe('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
  });

  it('produces the published CT inclusion proofs, and they verify', () => {
    for (const v of CT_INCLUSION) {
      const leaves = CT_LEAVES.slice(0, v.size);
      const path = inclusionProof(v.index, v.size, nodesFromLeaves(leaves));
      expect(path.map(hex)).toEqual(v.path);
      expect(
        verifyInclusion(CT_LEAVES[v.index] as Buffer, v.index, v.size, v.path.map(h), h(CT_ROOTS[v.size - 1] as string)),
      ).toBe(true);
    }
  });

  it('produces the published CT consistency proofs, and they verify', () => {
    for (const v of CT_CONSISTENCY) {
      const proof = consistencyProof(v.m, v.n, nodesFromLeaves(CT_LEAVES.slice(0, v.n)));
      expect(proof.map(hex)).toEqual(v.proof);
      expect(verifyConsistency(v.m, v.n, h(CT_ROOTS[v.m - 1] as string), h(CT_ROOTS[v.n - 1] as string), v.proof.map(h))).toBe(
        true,
      );
    }
  });

  it('rejects malformed inclusion and consistency inputs', () => {
    const root = h(CT_ROOTS[7] as string);
    expect(verifyInclusion(CT_LEAVES[0] as Buffer, 8, 8, [], root)).toBe(false);
    expect(verifyInclusion(CT_LEAVES[0] as Buffer, 0, 8, [], root)).toBe(false);
    expect(verifyConsistency(2, 1, root, root, [])).toBe(false);
    expect(verifyConsistency(1, 2, root, root, [])).toBe(false);
    expect(verifyConsistency(3, 3, root, h(CT_ROOTS[2] as string), [])).toBe(false);
  });

  it('keeps a frontier whose root equals the recursive definition at every size, and round-trips through hex', () => {
    const leaves = leavesOf(70);
    const f = MerkleFrontier.empty();
    for (let n = 0; n <= leaves.length; n++) {
      expect(hex(f.root())).toBe(hex(referenceRoot(leaves.slice(0, n))));
      expect(
        f.nodes
          .map((x, i) => hex(x) === hex(treeHash(leaves.slice(...(frontierRanges(n)[i] as [number, number])))))
          .every(Boolean),
      ).toBe(true);
      const again = MerkleFrontier.fromHex(n, f.toHex());
      expect(hex(again.root())).toBe(hex(f.root()));
      if (n < leaves.length) f.push(leaves[n] as Buffer);
    }
    expect(() => MerkleFrontier.fromHex(5, [])).toThrow(RangeError);
  });

  it('builds a range proof from the frontier of the start and leaves past the end (tiles need not be read)', () => {
    const leaves = leavesOf(37);
    const [a, b, n] = [9, 21, 37];
    const full = rangeProof(a, b, n, nodesFromLeaves(leaves));
    const left = MerkleFrontier.empty();
    for (const l of leaves.slice(0, a)) left.push(l);
    // The left part of every range proof is exactly the frontier of `start`.
    expect(full.slice(0, left.nodes.length).map(hex)).toEqual(left.toHex());
    // …and the root follows from the frontier at `end` plus the right part.
    const atEnd = MerkleFrontier.from(a, left.nodes);
    for (const l of leaves.slice(a, b)) atEnd.push(l);
    const root = rootFromRangeProof(0, b, n, (lo, hi) => atEnd.node(lo, hi), full.slice(left.nodes.length));
    expect(root && hex(root)).toBe(hex(treeHash(leaves)));
  });

  const treeAndRange = fc
    .tuple(fc.integer({ min: 1, max: 90 }), fc.nat(), fc.nat())
    .map(([n, s, len]) => ({ n, a: s % n, b: (s % n) + 1 + (len % (n - (s % n))) }));

  it('property: every inclusion proof verifies and any flipped bit fails', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 90 }), fc.nat(), fc.nat(), fc.nat(), (n, i0, which, bit) => {
        const leaves = leavesOf(n);
        const i = i0 % n;
        const root = treeHash(leaves);
        const path = inclusionProof(i, n, nodesFromLeaves(leaves));
        expect(verifyInclusion(leaves[i] as Buffer, i, n, path, root)).toBe(true);
        if (path.length > 0) expect(verifyInclusion(leaves[i] as Buffer, i, n, flip(path, which, bit), root)).toBe(false);
        expect(verifyInclusion(flip([leaves[i] as Buffer], 0, bit)[0] as Buffer, i, n, path, root)).toBe(false);
        expect(verifyInclusion(leaves[i] as Buffer, i, n, path, flip([root], 0, bit)[0] as Buffer)).toBe(false);
        if (n > 1) expect(verifyInclusion(leaves[i] as Buffer, (i + 1) % n, n, path, root)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('property: every consistency proof verifies and any flipped bit fails', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 90 }), fc.nat(), fc.nat(), fc.nat(), (n, m0, which, bit) => {
        const m = 1 + (m0 % n);
        const leaves = leavesOf(n);
        const [oldRoot, newRoot] = [treeHash(leaves.slice(0, m)), treeHash(leaves)];
        const proof = consistencyProof(m, n, nodesFromLeaves(leaves));
        expect(verifyConsistency(m, n, oldRoot, newRoot, proof)).toBe(true);
        if (proof.length > 0) expect(verifyConsistency(m, n, oldRoot, newRoot, flip(proof, which, bit))).toBe(false);
        if (m < n) {
          expect(verifyConsistency(m, n, flip([oldRoot], 0, bit)[0] as Buffer, newRoot, proof)).toBe(false);
          expect(verifyConsistency(m, n, oldRoot, flip([newRoot], 0, bit)[0] as Buffer, proof)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('property: every range proof is minimal, verifies, and any flipped bit in leaves, proof or root fails', () => {
    fc.assert(
      fc.property(treeAndRange, fc.nat(), fc.nat(), ({ n, a, b }, which, bit) => {
        const leaves = leavesOf(n);
        const root = treeHash(leaves);
        const proof = rangeProof(a, b, n, nodesFromLeaves(leaves));
        const range = leaves.slice(a, b);
        expect(verifyRangeProof(a, b, n, range, proof, root)).toBe(true);
        // Minimal: dropping any one hash breaks it.
        for (let k = 0; k < proof.length; k++)
          expect(
            verifyRangeProof(
              a,
              b,
              n,
              range,
              proof.filter((_, j) => j !== k),
              root,
            ),
          ).toBe(false);
        if (proof.length > 0) expect(verifyRangeProof(a, b, n, range, flip(proof, which, bit), root)).toBe(false);
        expect(verifyRangeProof(a, b, n, flip(range, which, bit), proof, root)).toBe(false);
        expect(verifyRangeProof(a, b, n, range, proof, flip([root], 0, bit)[0] as Buffer)).toBe(false);
        expect(verifyRangeProof(a, b, n, range, [...proof, root], root)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
