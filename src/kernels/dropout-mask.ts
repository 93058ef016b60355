/**
 * Dropout multipliers written by a backend kernel straight into the
 * backend's memory: one kernel instead of tfjs's randomUniform (a JavaScript
 * array uploaded to the backend) + Add + Floor + RealDiv.
 *
 * The numbers are exactly tfjs's, so seeded runs print what they printed
 * before: tfjs `dropout(x, rate)` without a seed draws ONE value from
 * `Math.random` (seeded by `seed(n)`), seeds an alea generator with it and
 * takes u_i from that generator; the multiplier is floor(u_i + keep) / keep
 * in float32 (the tfjs Dropout layer). The reglab DropoutLayer's mask is
 * u_i < keep as 0/1 (src/regularizers/dropout.ts), from the same draws.
 * Math.fround reproduces float32 rounding of each operation exactly.
 * The draws are the same stream, computed several chunks at a time
 * (alea-lanes.ts): fillMask equals the one-draw-at-a-time fillMaskSerial.
 */
import * as tf from "@tensorflow/tfjs";
import seedrandom from "seedrandom";
import { memoryKernelsAvailable, registerMemoryKernel, withMemory } from "./backend-memory";
import type { AleaState } from "./alea-jump";
import { fillAleaDraws } from "./alea-lanes";

export type MaskStyle = "tfjs" | "reglab";

const KERNEL = "ReglabDropoutMask";

/** alea's state right after seeding (seedrandom's Mash), to run its recurrence inline (here and in alea-lanes.ts). */
function aleaState(seedValue: number): AleaState {
  const prng = seedrandom.alea(seedValue.toString(), { state: true }) as seedrandom.PRNG & { state(): AleaState };
  return prng.state();
}

/**
 * The mask as it was first written, one alea draw and one multiplier per
 * element: the definition fillMask must reproduce bit for bit (tests, bench).
 */
export function fillMaskSerial(out: Float32Array, keep: number, style: MaskStyle, seedValue: number): void {
  // seedrandom's alea recurrence (lib/alea.js `next`), inlined: a call per element cost ~10 ns, more than the rest.
  let { c, s0, s1, s2 } = aleaState(seedValue);
  const k = Math.fround(keep);
  const on = style === "tfjs" ? Math.fround(1 / k) : 1;
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    s2 = t - (c = t | 0);
    // tfjs: floor(u + keep) in float32 is 1 exactly when fround(u + keep) >= 1; reglab: u < keep.
    const u = Math.fround(s2);
    out[i] = (style === "tfjs" ? Math.fround(u + k) >= 1 : u < k) ? on : 0;
  }
}

/** Draws u in `out` → tfjs's multipliers: floor(u + keep) in float32 is 1 exactly when fround(u + keep) >= 1. */
function tfjsMultipliers(out: Float32Array, k: number): void {
  // A lookup, not `? 1 / k : 0` (nor a product with the comparison), is what V8 compiles without a branch.
  const multiplier = new Float32Array([0, Math.fround(1 / k)]);
  for (let i = 0; i < out.length; i++) out[i] = multiplier[+(Math.fround(out[i] + k) >= 1)];
}

/** Draws u in `out` → reglab's 0/1 mask u < keep. */
function reglabMask(out: Float32Array, k: number): void {
  for (let i = 0; i < out.length; i++) out[i] = +(out[i] < k);
}

/**
 * fillMaskSerial's numbers, ~6x faster on long masks: the draws
 * u_i = fround(s2) go into `out` first (alea-lanes.ts, several chains at
 * once), then one pass turns each into its multiplier. That pass has no
 * data-dependent branch: with keep near 1/2 a `cond ? on : 0` branch is
 * mispredicted every other element, which cost more than the draw itself.
 * One function per style, so a notebook that uses both styles does not
 * send one shared loop back to V8's slower tiers each time it switches.
 */
export function fillMask(out: Float32Array, keep: number, style: MaskStyle, seedValue: number): void {
  fillAleaDraws(out, aleaState(seedValue));
  const k = Math.fround(keep);
  if (style === "tfjs") tfjsMultipliers(out, k);
  else reglabMask(out, k);
}

function register(): void {
  registerMemoryKernel(KERNEL, (backendName, { backend, attrs }) => {
    const { shape, keep, style, seed } = attrs as unknown as { shape: number[]; keep: number; style: MaskStyle; seed: number };
    return withMemory(backendName, backend, [], [shape], (_, [out]) => fillMask(out, keep, style, seed))[0];
  });
}

/**
 * The multiplier of one dropout draw, as tfjs (style "tfjs": 0 or 1/keep)
 * or reglab's DropoutLayer (style "reglab": a 0/1 mask) would draw it at
 * this point of the Math.random stream. Consumes one Math.random value.
 */
export function dropoutMask(shape: number[], rate: number, style: MaskStyle): tf.Tensor {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropoutMask: rate must be in [0, 1), got ${rate}`);
  const keep = 1 - rate;
  const seedValue = Math.random();
  if (!memoryKernelsAvailable()) {
    // Elsewhere: the very ops tfjs uses, with the seed drawn above.
    return tf.tidy(() => {
      const u = tf.randomUniform(shape, 0, 1, "float32", seedValue);
      return style === "tfjs" ? tf.div(tf.floor(tf.add(u, keep)), keep) : tf.cast(tf.less(u, keep), "float32");
    });
  }
  register();
  return tf.engine().runKernel(KERNEL, {}, { shape, keep, style, seed: seedValue } as unknown as tf.NamedAttrMap) as tf.Tensor;
}
