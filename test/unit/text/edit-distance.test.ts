import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { damerauDistance } from "../../../src/text/edit-distance";

/**
 * Brute-force edit distance (insert, delete, substitute, swap neighbours) by
 * breadth-first search over edit scripts of length <= 3, independent of the
 * DP. It is the unrestricted Damerau distance, which equals the optimal
 * string alignment distance unless a substring is edited twice.
 */
function bruteDamerau(a: string, b: string, maxDepth = 3): number {
  const alphabet = [...new Set(a + b)];
  let frontier = new Set([a]);
  const seen = new Set([a]);
  for (let d = 0; d <= maxDepth; d++) {
    if (frontier.has(b)) return d;
    const next = new Set<string>();
    for (const s of frontier) {
      const cands: string[] = [];
      for (let i = 0; i <= s.length; i++) for (const c of alphabet) cands.push(s.slice(0, i) + c + s.slice(i));
      for (let i = 0; i < s.length; i++) {
        cands.push(s.slice(0, i) + s.slice(i + 1));
        for (const c of alphabet) cands.push(s.slice(0, i) + c + s.slice(i + 1));
        if (i + 1 < s.length) cands.push(s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2));
      }
      for (const c of cands) if (!seen.has(c)) (seen.add(c), next.add(c));
    }
    frontier = next;
  }
  return Infinity;
}

describe("damerauDistance", () => {
  it("counts a swap of neighbours as one edit (checked against a brute-force search)", () => {
    for (const [a, b] of [
      ["tiem", "time"], ["timit", "timeit"], ["whso", "whos"], ["time", "time"], ["ab", "ba"], ["sewp", "sweep"], ["lsmgaic", "lsmagic"]
    ]) {
      assert.equal(damerauDistance(a, b), bruteDamerau(a, b), `${a} → ${b}`);
    }
    assert.equal(damerauDistance("tiem", "time"), 1);
    // The textbook case where the restricted (OSA) form differs: ca → abc is 3, not 2 (ca → ac → abc edits "ac" twice).
    assert.equal(damerauDistance("ca", "abc"), 3);
  });

});
