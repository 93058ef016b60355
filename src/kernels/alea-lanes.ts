/**
 * The next n draws of a seedrandom alea generator, rounded to float32, into
 * a Float32Array: exactly the values n calls of its `next` would return, in
 * order, but computed several streams at a time.
 *
 * One draw depends on the previous draw's carry, so a single loop waits on
 * the latency of its chain (multiply, add, truncate, convert, subtract)
 * at every element. For a long array the output is cut into LANES contiguous
 * chunks; chunk j starts from the generator jumped j*len draws ahead
 * (alea-jump.ts), and one loop advances all the chunks' independent chains
 * together, which the CPU overlaps. Short arrays skip the jumps (a few
 * microseconds of BigInt arithmetic) and run one chain.
 */
import { aleaJump, type AleaState } from "./alea-jump";

/**
 * Chunks run together. Whole masks at n = 16k-64k (bench/mask-lanes.ts): 8 lanes 2.2-2.5 ns an element,
 * 4 lanes 2.6-3.3; the draws alone: one chain ~5.5 ns, 8 lanes ~1.3.
 */
const LANES = 8;
/**
 * Shorter arrays run one chain: the seven jumps cost ~6 µs, which at n = 2048
 * about cancels the overlap's gain; at 4096 the lanes already win ~1.8x.
 */
export const MIN_LANED = 4096;

/** out[from..to) ← the draws from `state` on, one chain (seedrandom lib/alea.js `next`, inlined). */
function drawSerial(out: Float32Array, from: number, to: number, state: AleaState): void {
  let { c, s0, s1, s2 } = state;
  for (let i = from; i < to; i++) {
    const t = 2091639 * s0 + c * 2.3283064365386963e-10;
    s0 = s1;
    s1 = s2;
    out[i] = s2 = t - (c = t | 0);
  }
}

/** out ← fround of the next out.length draws of the alea generator in `state` (which is not changed). */
export function fillAleaDraws(out: Float32Array, state: AleaState): void {
  const n = out.length;
  if (n < MIN_LANED) {
    drawSerial(out, 0, n, state);
    return;
  }
  const len = Math.floor(n / LANES);
  const starts = Array.from({ length: LANES }, (_, j) => (j === 0 ? state : aleaJump(state, j * len)));
  drawLanes(out, len, starts);
  // The n mod 8 leftover draws start at position 8*len: from a jump too, so that drawLanes ends with its loop.
  drawSerial(out, LANES * len, n, aleaJump(state, LANES * len));
}

/**
 * out[j*len + i] for i < len ← the draws of lane j from starts[j]. Nothing
 * follows the loop: V8 compiles this function while the loop runs (on-stack
 * replacement), and code after the loop, without type feedback at that
 * moment, made the optimized code bail out at the loop's end every call, a
 * loop of deoptimizations that left the masks 3-4x slower (seen in training
 * interleaved with other large tfjs work).
 */
function drawLanes(out: Float32Array, len: number, starts: AleaState[]): void {
  let { c: c0, s0: a0, s1: b0, s2: d0 } = starts[0];
  let { c: c1, s0: a1, s1: b1, s2: d1 } = starts[1];
  let { c: c2, s0: a2, s1: b2, s2: d2 } = starts[2];
  let { c: c3, s0: a3, s1: b3, s2: d3 } = starts[3];
  let { c: c4, s0: a4, s1: b4, s2: d4 } = starts[4];
  let { c: c5, s0: a5, s1: b5, s2: d5 } = starts[5];
  let { c: c6, s0: a6, s1: b6, s2: d6 } = starts[6];
  let { c: c7, s0: a7, s1: b7, s2: d7 } = starts[7];
  const [o1, o2, o3, o4, o5, o6, o7] = [len, 2 * len, 3 * len, 4 * len, 5 * len, 6 * len, 7 * len];
  for (let i = 0; i < len; i++) {
    // All eight products first, so eight independent chains are in flight at once.
    const t0 = 2091639 * a0 + c0 * 2.3283064365386963e-10;
    const t1 = 2091639 * a1 + c1 * 2.3283064365386963e-10;
    const t2 = 2091639 * a2 + c2 * 2.3283064365386963e-10;
    const t3 = 2091639 * a3 + c3 * 2.3283064365386963e-10;
    const t4 = 2091639 * a4 + c4 * 2.3283064365386963e-10;
    const t5 = 2091639 * a5 + c5 * 2.3283064365386963e-10;
    const t6 = 2091639 * a6 + c6 * 2.3283064365386963e-10;
    const t7 = 2091639 * a7 + c7 * 2.3283064365386963e-10;
    a0 = b0; b0 = d0; out[i] = d0 = t0 - (c0 = t0 | 0);
    a1 = b1; b1 = d1; out[o1 + i] = d1 = t1 - (c1 = t1 | 0);
    a2 = b2; b2 = d2; out[o2 + i] = d2 = t2 - (c2 = t2 | 0);
    a3 = b3; b3 = d3; out[o3 + i] = d3 = t3 - (c3 = t3 | 0);
    a4 = b4; b4 = d4; out[o4 + i] = d4 = t4 - (c4 = t4 | 0);
    a5 = b5; b5 = d5; out[o5 + i] = d5 = t5 - (c5 = t5 | 0);
    a6 = b6; b6 = d6; out[o6 + i] = d6 = t6 - (c6 = t6 | 0);
    a7 = b7; b7 = d7; out[o7 + i] = d7 = t7 - (c7 = t7 | 0);
  }
}
