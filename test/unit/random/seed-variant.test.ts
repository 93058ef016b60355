/** REGLAB_SEED_VARIANT: global seeds move to another stream, explicit generator seeds do not. */
import { test, afterEach } from "node:test";
import assert from "node:assert/strict";
import { SEED_VARIANT_ENV, getSeed, rng, seed, seedVariant, unseed } from "../../../src/random/seed";

const draws = (k = 5): number[] => Array.from({ length: k }, () => Math.random());

afterEach(() => {
  delete process.env[SEED_VARIANT_ENV];
  unseed();
});

test("a variant changes what seed(n) draws, keeps equal seeds equal and different seeds different", () => {
  seed(42);
  const plain = draws();
  process.env[SEED_VARIANT_ENV] = "3";
  seed(42);
  const v3 = draws();
  seed(42);
  assert.deepEqual(draws(), v3, "the same seed under the same variant repeats");
  seed(43);
  assert.notDeepEqual(draws(), v3, "different seeds stay different under a variant");
  assert.notDeepEqual(v3, plain, "the variant moved seed(42) to another stream");
  process.env[SEED_VARIANT_ENV] = "4";
  seed(42);
  assert.notDeepEqual(draws(), v3, "variants 3 and 4 differ");
  assert.equal(getSeed(), 42, "getSeed reports the seed the notebook set");
});

test("explicit generator seeds (data sets, model seeds) are not affected", () => {
  const before = [rng(1).next(), rng("x").next()];
  process.env[SEED_VARIANT_ENV] = "7";
  seed(1);
  assert.deepEqual([rng(1).next(), rng("x").next()], before);
});

test("an empty variant is none; a non-integer one is a clear error", () => {
  process.env[SEED_VARIANT_ENV] = "";
  assert.equal(seedVariant(), null);
  process.env[SEED_VARIANT_ENV] = "1.5";
  assert.throws(() => seed(1), /REGLAB_SEED_VARIANT must be an integer, got "1.5"/);
});
