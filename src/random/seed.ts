/**
 * One global seed for everything random in a notebook.
 *
 * TensorFlow.js has no global seed: unseeded initializers and random ops,
 * `model.fit` shuffling and dropout masks all draw from `Math.random`
 * (tfjs-core `random_util`, `util.shuffle`). `seed(n)` therefore replaces
 * `Math.random` with an alea generator seeded by `n`; every later draw is a
 * pure function of `n` and the order of the calls, so the same notebook gives
 * bit-identical numbers on the same backend, in any process. Dropout masks
 * still change from step to step because each step draws a fresh value.
 *
 * Our own generators (data sets, bootstrap samples) take an explicit `Rng`;
 * `rng()` without a seed derives one from the global stream so that it is
 * reproducible after `seed(n)` too.
 *
 * Seed variants (`reglab run --seed v`, `reglab check --seeds a,b`): with the
 * environment variable REGLAB_SEED_VARIANT=v (an integer) in the kernel,
 * `seed(n)` seeds the global stream with alea("n/v") instead of alea("n").
 * Equal seeds stay equal and different ones different, so a notebook runs
 * as if every global seed it sets were another one, while explicit seeds
 * (`rng(1)`, `twoMoons({ seed: 1 })`, `mlp({ seed: 5 })`) are left alone:
 * data sets stay the same, the luck of initialisation, shuffling and
 * dropout changes. `getSeed()` still reports n.
 */
import seedrandom from "seedrandom";

/** A source of uniform numbers in [0, 1) with a few derived draws. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(mean?: number, std?: number): number;
  /** A new independent integer seed, for tfjs ops that take one. */
  seed(): number;
}

const nativeRandom = Math.random;
let currentSeed: number | null = null;

class AleaRng implements Rng {
  private readonly prng: seedrandom.PRNG;
  private spare: number | null = null;

  constructor(seedValue: number | string) {
    this.prng = seedrandom.alea(String(seedValue));
  }

  next(): number {
    return this.prng();
  }

  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new RangeError(`rng.int(n) needs a positive integer n, got ${n}`);
    }
    return Math.floor(this.prng() * n);
  }

  normal(mean = 0, std = 1): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return mean + std * z;
    }
    // u1 in (0, 1] so that log(u1) is finite.
    const u1 = 1 - this.prng();
    const u2 = this.prng();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return mean + std * r * Math.cos(2 * Math.PI * u2);
  }

  seed(): number {
    // tfjs treats a seed of 0 as "no seed": keep it in [1, 2^31).
    return 1 + Math.floor(this.prng() * 0x7ffffffe);
  }
}

/**
 * Seed everything random: tfjs initializers, random ops, `fit` shuffling,
 * dropout masks and reglab's generators. Returns the seed.
 *
 * @example seed(42)
 */
export function seed(n: number): number {
  if (typeof n !== "number" || !Number.isFinite(n) || !Number.isInteger(n)) {
    throw new TypeError(`seed(n) needs an integer, got ${String(n)}`);
  }
  const variant = seedVariant();
  const global = new AleaRng(variant === null ? n : `${n}/${variant}`);
  Math.random = () => global.next();
  currentSeed = n;
  return n;
}

/** The environment variable that selects a seed variant (see the header). */
export const SEED_VARIANT_ENV = "REGLAB_SEED_VARIANT";

/** The seed variant from REGLAB_SEED_VARIANT, or null when it is unset or empty. */
export function seedVariant(): number | null {
  const v = process.env[SEED_VARIANT_ENV];
  if (v === undefined || v.trim() === "") return null;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new TypeError(`${SEED_VARIANT_ENV} must be an integer, got "${v}"`);
  return n;
}

/** The seed set by `seed(n)`, or null when `Math.random` is unseeded. */
export function getSeed(): number | null {
  return currentSeed;
}

/** Undo `seed(n)`: `Math.random` is the platform's again. */
export function unseed(): void {
  Math.random = nativeRandom;
  currentSeed = null;
}

/**
 * A generator of its own. With `seedValue` it is fixed; without, its seed is
 * drawn from `Math.random`, so it is reproducible after `seed(n)`.
 */
export function rng(seedValue?: number | string): Rng {
  return new AleaRng(seedValue ?? Math.floor(Math.random() * 0x7fffffff));
}
