// alea jumped k draws ahead (src/kernels/alea-jump.ts): exactly the state
// seedrandom's own alea reaches after k calls, the state read as one number
// and back, the draw as that number mod 2^32, and the one fixed point.
import { test } from "node:test";
import assert from "node:assert/strict";
import seedrandom from "seedrandom";
import { aleaJump, aleaStateFromNumber, aleaStateNumber, type AleaState } from "../../../src/kernels/alea-jump";

type StatefulPrng = seedrandom.PRNG & { state(): AleaState };
const alea = (seedValue: string, state?: AleaState): StatefulPrng =>
  seedrandom.alea(seedValue, { state: state ?? true }) as StatefulPrng;
// Seeds from a seeded stream, so a failure names a seed that reproduces it.
const seeds = (count: number): string[] => {
  const pick = seedrandom.alea("alea-jump seeds");
  return Array.from({ length: count }, () => pick().toString());
};

test("aleaJump(state, k) = the state after k calls of seedrandom's alea", () => {
  const pick = seedrandom.alea("alea-jump k");
  for (const s of seeds(60)) {
    const ks = [0, 1, 2, 3, 4, 5, 7, 100, Math.floor(pick() * 5000), Math.floor(pick() * 70000)];
    for (const k of ks) {
      const prng = alea(s);
      const start = prng.state();
      for (let i = 0; i < k; i++) prng();
      assert.deepEqual(aleaJump(start, k), prng.state(), `seed ${s}, k = ${k}`);
    }
  }
});

test("aleaJump from a state part-way through the stream, and jumps compose", () => {
  for (const s of seeds(20)) {
    const prng = alea(s);
    for (let i = 0; i < 1234; i++) prng();
    const middle = prng.state();
    for (let i = 0; i < 4321; i++) prng();
    assert.deepEqual(aleaJump(middle, 4321), prng.state(), `seed ${s}`);
    assert.deepEqual(aleaJump(aleaJump(middle, 321), 4000), prng.state(), `seed ${s}: 321 then 4000`);
  }
});

test("the state as y = c + a(X0 + X1 b + X2 b^2): back again, and the next draw is y mod 2^32", () => {
  for (const s of seeds(30)) {
    const prng = alea(s);
    for (let i = 0; i < 50; i++) {
      const state = prng.state();
      const y = aleaStateNumber(state);
      assert.deepEqual(aleaStateFromNumber(y), state, `seed ${s}, draw ${i}`);
      assert.equal(Number(y % 2n ** 32n) / 2 ** 32, prng(), `seed ${s}, draw ${i}`);
    }
  }
});

test("the fixed point y = m (carry a - 1, every word 2^32 - 1) stays put, as alea itself does", () => {
  const top = (2 ** 32 - 1) / 2 ** 32;
  const fixed: AleaState = { c: 2091638, s0: top, s1: top, s2: top };
  assert.equal(aleaStateNumber(fixed), 2091639n * 2n ** 96n - 1n);
  const prng = alea("", { ...fixed });
  for (let i = 0; i < 10; i++) prng();
  assert.deepEqual(prng.state(), fixed);
  assert.deepEqual(aleaJump(fixed, 10), fixed);
  const zero: AleaState = { c: 0, s0: 0, s1: 0, s2: 0 };
  assert.deepEqual(aleaJump(zero, 10), zero);
});

test("states outside alea's domain and bad k are refused", () => {
  const good = alea("x").state();
  assert.throws(() => aleaJump({ ...good, s1: 0.5 + 2 ** -40 }, 3), /s1 .* is not an integer \/ 2\^32/);
  assert.throws(() => aleaJump({ ...good, s2: 1 }, 3), /s2 = 1 is not/);
  assert.throws(() => aleaJump({ ...good, c: 2091639 }, 3), /carry 2091639 is not an integer/);
  assert.throws(() => aleaJump({ ...good, c: 0.5 }, 3), /carry 0.5/);
  assert.throws(() => aleaJump(good, -1), /non-negative safe integer/);
  assert.throws(() => aleaJump(good, 1.5), /non-negative safe integer/);
  assert.throws(() => aleaStateFromNumber(-1n), /out of \[0, m\]/);
});
