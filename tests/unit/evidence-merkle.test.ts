import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  completedSubtrees,
  consistencyProof,
  emptyRootHash,
  hashChildren,
  hashLeaf,
  inclusionProof,
  type LeafHashReader,
  memoryLeafReader,
  merkleRoot,
  rootFromInclusionProof,
  rootHash,
  verifyConsistency,
  verifyInclusion,
} from "@/lib/evidence/merkle";

/*
 * The reference: RFC 9162 §2.1.1–2.1.4 written out as literally as the text reads, over the
 * entries themselves (not leaf hashes), with node:crypto and nothing from the module under test.
 */
const H = (...parts: Uint8Array[]) => {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
};
type D = Uint8Array[];
function k(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k; // "the largest power of two smaller than n (i.e., k < n <= 2k)"
}
function MTH(D: D): Uint8Array {
  if (D.length === 0) return H();
  if (D.length === 1) return H(Uint8Array.of(0), D[0]!);
  const kk = k(D.length);
  return H(Uint8Array.of(1), MTH(D.slice(0, kk)), MTH(D.slice(kk)));
}
function PATH(m: number, D: D): Uint8Array[] {
  if (D.length === 1) return [];
  const kk = k(D.length);
  return m < kk ? [...PATH(m, D.slice(0, kk)), MTH(D.slice(kk))] : [...PATH(m - kk, D.slice(kk)), MTH(D.slice(0, kk))];
}
function SUBPROOF(m: number, D: D, b: boolean): Uint8Array[] {
  if (m === D.length) return b ? [] : [MTH(D)];
  const kk = k(D.length);
  return m <= kk ? [...SUBPROOF(m, D.slice(0, kk), b), MTH(D.slice(kk))] : [...SUBPROOF(m - kk, D.slice(kk), false), MTH(D.slice(0, kk))];
}
const PROOF = (m: number, D: D) => SUBPROOF(m, D, true);

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const entries = (n: number, salt = "entry"): D => Array.from({ length: n }, (_, i) => new TextEncoder().encode(`${salt}-${i}`));
const leafHashesOf = (d: D) => d.map((e) => hashLeaf(e));
const flip = (b: Uint8Array, bit: number) => {
  const c = b.slice();
  c[bit >> 3]! ^= 1 << (bit & 7);
  return c;
};

/** A log that stores perfect subtree hashes the way the Postgres store will, and counts reads. */
function storedLog(leaves: Uint8Array[]) {
  const nodes = new Map<string, Uint8Array>();
  leaves.forEach((leaf, i) => {
    nodes.set(`0:${i}`, leaf);
    for (const { level, index } of completedSubtrees(i)) {
      nodes.set(`${level}:${index}`, hashChildren(nodes.get(`${level - 1}:${2 * index}`)!, nodes.get(`${level - 1}:${2 * index + 1}`)!));
    }
  });
  const reads = { leafHashes: 0, subtrees: 0 };
  const reader: LeafHashReader = {
    async leafHashes(start, end) {
      reads.leafHashes += end - start;
      return leaves.slice(start, end);
    },
    async perfectSubtreeHash(level, index) {
      reads.subtrees += 1;
      return level === 0 ? undefined : nodes.get(`${level}:${index}`);
    },
  };
  return { reader, reads };
}

describe("Merkle tree hash (RFC 9162 §2.1.1)", () => {
  it("hashes the empty tree as SHA-256 of no bytes", () => {
    expect(hex(emptyRootHash())).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(hex(merkleRoot([]))).toBe(hex(MTH([])));
  });

  it("prefixes leaves with 0x00 and interior nodes with 0x01", () => {
    expect(hex(hashLeaf(new Uint8Array()))).toBe("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    const a = hashLeaf(Uint8Array.of(1));
    const b = hashLeaf(Uint8Array.of(2));
    expect(hex(hashChildren(a, b))).toBe(hex(H(Uint8Array.of(1), a, b)));
  });

  it("matches the RFC 6962 reference vectors for the 8-leaf test tree, at every size", () => {
    // The inputs and roots used by the certificate-transparency and transparency-dev test suites.
    const inputs = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map((h) => new Uint8Array(Buffer.from(h, "hex")));
    const roots = [
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];
    for (let n = 1; n <= 8; n++) {
      expect(hex(MTH(inputs.slice(0, n)))).toBe(roots[n - 1]);
      expect(hex(merkleRoot(leafHashesOf(inputs.slice(0, n))))).toBe(roots[n - 1]);
    }
  });

  it("reproduces the RFC 6962 reference inclusion and consistency proofs for that tree", async () => {
    const inputs = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map((h) => new Uint8Array(Buffer.from(h, "hex")));
    const reader = memoryLeafReader(leafHashesOf(inputs));
    const path0in8 = ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"];
    expect((await inclusionProof(reader, 0, 8)).map(hex)).toEqual(path0in8);
    expect(PATH(0, inputs).map(hex)).toEqual(path0in8);
    expect((await consistencyProof(reader, 1, 8)).map(hex)).toEqual(path0in8);
    const six = ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"];
    expect((await consistencyProof(reader, 6, 8)).map(hex)).toEqual(six);
    expect(PROOF(6, inputs).map(hex)).toEqual(six);
    const two = ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"];
    expect((await consistencyProof(reader, 2, 5)).map(hex)).toEqual(two);
    expect(PROOF(2, inputs.slice(0, 5)).map(hex)).toEqual(two);
  });

  it("computes MTH like the RFC for every size 0..130, in memory and through a reader", async () => {
    const d = entries(130);
    const leaves = leafHashesOf(d);
    for (let n = 0; n <= 130; n++) {
      const expected = hex(MTH(d.slice(0, n)));
      expect(hex(merkleRoot(leaves.slice(0, n)))).toBe(expected);
      expect(hex(await rootHash(memoryLeafReader(leaves), n))).toBe(expected);
      expect(hex(await rootHash(storedLog(leaves.slice(0, n)).reader, n))).toBe(expected);
    }
  });
});

describe("inclusion proofs (RFC 9162 §2.1.3)", () => {
  const N = 40;
  const d = entries(N);
  const leaves = leafHashesOf(d);

  it("generates PATH(m, D[n]) exactly and verifies it, for every size 1..40 and every index", async () => {
    let checked = 0;
    for (let n = 1; n <= N; n++) {
      const root = MTH(d.slice(0, n));
      for (let m = 0; m < n; m++) {
        const proof = await inclusionProof(memoryLeafReader(leaves), m, n);
        expect(proof.map(hex)).toEqual(PATH(m, d.slice(0, n)).map(hex));
        expect(verifyInclusion({ leafHash: leaves[m]!, leafIndex: m, treeSize: n, proof, rootHash: root })).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe((N * (N + 1)) / 2);
  });

  it("rejects a wrong leaf, a wrong index, the head of another size, a flipped byte, an added or dropped node", async () => {
    for (let n = 1; n <= 20; n++) {
      const root = MTH(d.slice(0, n));
      for (let m = 0; m < n; m++) {
        const proof = await inclusionProof(memoryLeafReader(leaves), m, n);
        const ok = (over: Partial<Parameters<typeof verifyInclusion>[0]>) => verifyInclusion({ leafHash: leaves[m]!, leafIndex: m, treeSize: n, proof, rootHash: root, ...over });
        for (let other = 0; other < N; other++) if (other !== m) expect(ok({ leafHash: leaves[other]! })).toBe(false);
        expect(ok({ leafHash: hashLeaf(new TextEncoder().encode("not logged")) })).toBe(false);
        expect(ok({ leafHash: H(d[m]!) })).toBe(false); // the entry hashed without the 0x00 prefix
        for (let other = 0; other < n; other++) if (other !== m) expect(ok({ leafIndex: other })).toBe(false);
        expect(ok({ leafIndex: n })).toBe(false);
        expect(ok({ leafIndex: -1 })).toBe(false);
        // The proof checked against the signed head of any other size.
        for (let size = m + 1; size <= N; size++) if (size !== n) expect(ok({ treeSize: size, rootHash: MTH(d.slice(0, size)) })).toBe(false);
        for (const [i, node] of proof.entries()) {
          for (const bit of [0, 7, 100, 255]) expect(ok({ proof: proof.map((p, j) => (j === i ? flip(node, bit) : p)) })).toBe(false);
        }
        expect(ok({ proof: [...proof, leaves[0]!] })).toBe(false);
        if (proof.length > 0) expect(ok({ proof: proof.slice(0, -1) })).toBe(false);
        expect(ok({ rootHash: flip(root, 3) })).toBe(false);
      }
    }
  });

  it("rejects a proof from another log with the same shape", async () => {
    const other = leafHashesOf(entries(N, "other-log"));
    for (let n = 1; n <= N; n++) {
      const root = MTH(d.slice(0, n));
      for (let m = 0; m < n; m++) {
        const foreign = await inclusionProof(memoryLeafReader(other), m, n);
        if (n > 1) expect(verifyInclusion({ leafHash: leaves[m]!, leafIndex: m, treeSize: n, proof: foreign, rootHash: root })).toBe(false);
        expect(verifyInclusion({ leafHash: other[m]!, leafIndex: m, treeSize: n, proof: foreign, rootHash: root })).toBe(false);
      }
    }
  });

  it("refuses malformed input instead of guessing", async () => {
    expect(() => rootFromInclusionProof(leaves[0]!, 0, 2, [new Uint8Array(31)])).toThrow(/32-byte/);
    expect(() => rootFromInclusionProof(leaves[0]!, 3, 3, [])).toThrow(/not below tree size/);
    await expect(inclusionProof(memoryLeafReader(leaves), 5, 5)).rejects.toThrow(RangeError);
    await expect(inclusionProof(memoryLeafReader(leaves.slice(0, 3)), 0, 8)).rejects.toThrow(/returned \d+ leaf hashes/);
  });

  it("property: for random logs, sizes and indexes, generation agrees with the RFC and verifies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }), fc.string())),
        async ([n, m, salt]) => {
          const dd = entries(n, salt);
          const ll = leafHashesOf(dd);
          const proof = await inclusionProof(storedLog(ll).reader, m, n);
          expect(proof.map(hex)).toEqual(PATH(m, dd).map(hex));
          expect(verifyInclusion({ leafHash: ll[m]!, leafIndex: m, treeSize: n, proof, rootHash: MTH(dd) })).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("consistency proofs (RFC 9162 §2.1.4)", () => {
  const N = 40;
  const d = entries(N);
  const leaves = leafHashesOf(d);

  it("generates PROOF(m, D[n]) exactly and verifies it, for every size 1..40 and every old size", async () => {
    let checked = 0;
    for (let n = 1; n <= N; n++) {
      const newRoot = MTH(d.slice(0, n));
      for (let m = 0; m <= n; m++) {
        const oldRoot = MTH(d.slice(0, m));
        const proof = await consistencyProof(memoryLeafReader(leaves), m, n);
        expect(proof.map(hex)).toEqual(m === 0 ? [] : PROOF(m, d.slice(0, n)).map(hex));
        expect(verifyConsistency({ oldSize: m, newSize: n, oldRoot, newRoot, proof })).toBe(true);
        checked++;
      }
    }
    expect(checked).toBe((N * (N + 3)) / 2);
  });

  it("rejects wrong sizes, swapped or wrong roots, a flipped byte, an added or dropped node, another log's proof", async () => {
    const otherD = entries(N, "rewritten");
    const other = leafHashesOf(otherD);
    for (let n = 2; n <= 20; n++) {
      const newRoot = MTH(d.slice(0, n));
      for (let m = 1; m < n; m++) {
        const oldRoot = MTH(d.slice(0, m));
        const proof = await consistencyProof(memoryLeafReader(leaves), m, n);
        const ok = (over: Partial<Parameters<typeof verifyConsistency>[0]>) => verifyConsistency({ oldSize: m, newSize: n, oldRoot, newRoot, proof, ...over });
        for (let size = 1; size <= N; size++) {
          if (size !== m && size < n) expect(ok({ oldSize: size, oldRoot: MTH(d.slice(0, size)) })).toBe(false);
          if (size !== n && size > m) expect(ok({ newSize: size, newRoot: MTH(d.slice(0, size)) })).toBe(false);
          if (size !== m) expect(ok({ oldSize: size })).toBe(false);
        }
        expect(ok({ oldSize: n + 1 })).toBe(false);
        expect(ok({ oldRoot: newRoot, newRoot: oldRoot })).toBe(false);
        expect(ok({ oldRoot: MTH(otherD.slice(0, m)) })).toBe(false); // the old head was of a rewritten log
        expect(ok({ newRoot: MTH(otherD.slice(0, n)) })).toBe(false); // the new head is of a rewritten log
        expect(ok({ proof: await consistencyProof(memoryLeafReader(other), m, n) })).toBe(false);
        for (const [i, node] of proof.entries()) {
          for (const bit of [0, 9, 254]) expect(ok({ proof: proof.map((p, j) => (j === i ? flip(node, bit) : p)) })).toBe(false);
        }
        expect(ok({ proof: [...proof, leaves[0]!] })).toBe(false);
        expect(ok({ proof: proof.slice(0, -1) })).toBe(false);
        expect(ok({ proof: [] })).toBe(false);
      }
    }
  });

  it("treats equal sizes and the empty old tree as the RFC's definitions imply", () => {
    const root = MTH(d.slice(0, 5));
    expect(verifyConsistency({ oldSize: 5, newSize: 5, oldRoot: root, newRoot: root, proof: [] })).toBe(true);
    expect(verifyConsistency({ oldSize: 5, newSize: 5, oldRoot: root, newRoot: MTH(d.slice(0, 4)), proof: [] })).toBe(false);
    expect(verifyConsistency({ oldSize: 5, newSize: 5, oldRoot: root, newRoot: root, proof: [root] })).toBe(false);
    expect(verifyConsistency({ oldSize: 0, newSize: 5, oldRoot: emptyRootHash(), newRoot: root, proof: [] })).toBe(true);
    expect(verifyConsistency({ oldSize: 0, newSize: 5, oldRoot: root, newRoot: root, proof: [] })).toBe(false);
    expect(verifyConsistency({ oldSize: 6, newSize: 5, oldRoot: root, newRoot: root, proof: [] })).toBe(false);
  });

  it("property: for random logs and size pairs, generation agrees with the RFC and verifies", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 300 }).chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n), fc.string())),
        async ([m, n, salt]) => {
          const dd = entries(n, salt);
          const ll = leafHashesOf(dd);
          const proof = await consistencyProof(storedLog(ll).reader, m, n);
          expect(proof.map(hex)).toEqual(PROOF(m, dd).map(hex));
          expect(verifyConsistency({ oldSize: m, newSize: n, oldRoot: MTH(dd.slice(0, m)), newRoot: MTH(dd), proof })).toBe(true);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("reading the log by range", () => {
  it("records which perfect subtrees each append completes", () => {
    expect(completedSubtrees(0)).toEqual([]);
    expect(completedSubtrees(1)).toEqual([{ level: 1, index: 0 }]);
    expect(completedSubtrees(6)).toEqual([]);
    expect(completedSubtrees(7)).toEqual([{ level: 1, index: 3 }, { level: 2, index: 1 }, { level: 3, index: 0 }]);
  });

  it("reads O(log n) stored hashes, not the whole log, when subtree hashes are stored", async () => {
    const n = 50_000;
    const leaves = Array.from({ length: n }, (_, i) => hashLeaf(new TextEncoder().encode(`e${i}`)));
    const root = merkleRoot(leaves);
    const { reader, reads } = storedLog(leaves);
    const proof = await inclusionProof(reader, 31_337, n);
    expect(verifyInclusion({ leafHash: leaves[31_337]!, leafIndex: 31_337, treeSize: n, proof, rootHash: root })).toBe(true);
    const consistency = await consistencyProof(reader, 40_001, n);
    expect(verifyConsistency({ oldSize: 40_001, newSize: n, oldRoot: merkleRoot(leaves.slice(0, 40_001)), newRoot: root, proof: consistency })).toBe(true);
    expect(reads.leafHashes + reads.subtrees).toBeLessThan(200);
  });

  it("keeps its index arithmetic exact beyond 32 bits", async () => {
    // A log of 2^40 + 12345 identical leaves: every perfect subtree hash is known by level.
    const byLevel = [hashLeaf(new TextEncoder().encode("same"))];
    for (let level = 1; level <= 50; level++) byLevel.push(hashChildren(byLevel[level - 1]!, byLevel[level - 1]!));
    const reader: LeafHashReader = {
      async leafHashes(start, end) {
        return Array.from({ length: end - start }, () => byLevel[0]!);
      },
      async perfectSubtreeHash(level) {
        return byLevel[level];
      },
    };
    const n = 2 ** 40 + 12_345;
    const root = await rootHash(reader, n);
    for (const m of [0, 2 ** 33 + 7, 2 ** 40 - 1, 2 ** 40, n - 1]) {
      const proof = await inclusionProof(reader, m, n);
      expect(verifyInclusion({ leafHash: byLevel[0]!, leafIndex: m, treeSize: n, proof, rootHash: root })).toBe(true);
      expect(verifyInclusion({ leafHash: byLevel[0]!, leafIndex: m, treeSize: n, proof: proof.slice(1), rootHash: root })).toBe(false);
    }
    for (const m of [1, 2 ** 32 + 3, 2 ** 40, n - 1]) {
      const proof = await consistencyProof(reader, m, n);
      expect(verifyConsistency({ oldSize: m, newSize: n, oldRoot: await rootHash(reader, m), newRoot: root, proof })).toBe(true);
    }
  });
});
