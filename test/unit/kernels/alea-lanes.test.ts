// alea draws computed several chunks at a time (src/kernels/alea-lanes.ts):
// the float32 of seedrandom's own alea draws, in order, at every length
// around the lane count and the laned threshold.
import { test } from "node:test";
import assert from "node:assert/strict";
import seedrandom from "seedrandom";
import type { AleaState } from "../../../src/kernels/alea-jump";
import { fillAleaDraws, MIN_LANED } from "../../../src/kernels/alea-lanes";

type StatefulPrng = seedrandom.PRNG & { state(): AleaState };

test("fillAleaDraws = Float32Array of seedrandom's alea draws, every length, state untouched", () => {
  const pick = seedrandom.alea("alea-lanes");
  const lengths = [0, 1, 2, 3, 7, 8, 9, 17, 1000, MIN_LANED - 1, MIN_LANED, MIN_LANED + 1, MIN_LANED + 7, 16384, 65536 + 7, 100003];
  for (let round = 0; round < 12; round++) lengths.push(MIN_LANED + Math.floor(pick() * 40000));
  for (const n of lengths) {
    const seedValue = pick().toString();
    const prng = seedrandom.alea(seedValue, { state: true }) as StatefulPrng;
    const state = prng.state();
    const before = { ...state };
    const ours = new Float32Array(n);
    fillAleaDraws(ours, state);
    const theirs = Float32Array.from({ length: n }, () => prng());
    assert.deepEqual(state, before, "the state passed in is not changed");
    assert.ok(Buffer.from(ours.buffer).equals(Buffer.from(theirs.buffer)), `n = ${n}, seed ${seedValue}`);
  }
});
