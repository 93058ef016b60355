/**
 * tf.train.adam's update as ONE kernel per step instead of ~14 small tfjs
 * kernels per variable (88 for a 3-layer MLP), on backends whose memory
 * JavaScript can reach (wasm, cpu; src/kernels/backend-memory.ts); on wasm
 * the loop runs as WebAssembly SIMD on the heap (src/kernels/simd.ts), ~8×
 * faster than the same loop in JavaScript.
 *
 * It is the same computation as tfjs 4.22's AdamOptimizer.applyGradients,
 * operation by operation in float32 (Math.fround after every +, -, ×, ÷,
 * sqrt, each of which IEEE rounds correctly), on the optimizer's own state
 * (moments created lazily as tfjs names them, accBeta1/2, iterations), so the
 * weights are bit-identical to tfjs's and the optimizer can be used with
 * `fit` or tfjs's own update afterwards (test/unit/training/fused-adam.test.ts):
 *
 *   m' = b1 m + (1 - b1) g,   v' = b2 v + (1 - b2) g²,
 *   w' = w - lr · (m' / (1 - b1^t)) / (sqrt(v' / (1 - b2^t)) + eps).
 *
 * With `decay` (one L2 penalty (l2/2)·sum w², as train applies it) the
 * gradient of each decayed weight is g + l2·w, computed as train computes
 * it (tf.add(g, tf.mul(w, l2))), and the kernel also returns the penalty's
 * value at the weights before the update, as NormPenalty.value sums it:
 * per weight (l2/2)·tf.sum(tf.square(w)), added in order. Same bits, one
 * pass over the weights instead of ~8 kernels per weight.
 *
 * Only the exact class tf.AdamOptimizer is handled (subclasses such as
 * AdamW change the update); anything else returns false and the caller uses
 * `optimizer.applyGradients`.
 */
import * as tf from "@tensorflow/tfjs";
import { heapSimd, memoryKernelsAvailable, registerMemoryKernel, withMemory } from "./backend-memory";

interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  incrementIterations(): void;
}

const f = Math.fround;

registerMemoryKernel("ReglabAdam", (backendName, { inputs, backend, attrs }) => {
  const { count, beta1, beta2, epsilon, learningRate, l2 } = attrs as unknown as Record<string, number>;
  const decays = (attrs as unknown as { decays: number[] }).decays;
  const t = inputs as Record<string, tf.TensorInfo>;
  const ins: tf.TensorInfo[] = [t.accBeta1, t.accBeta2];
  const shapes: number[][] = [];
  for (let i = 0; i < count; i++) {
    ins.push(t[`w${i}`], t[`g${i}`], t[`m${i}`], t[`v${i}`]);
    shapes.push(t[`w${i}`].shape, t[`w${i}`].shape, t[`w${i}`].shape);
  }
  shapes.push([], [], ...(l2 > 0 ? [[]] : []));
  const simd = heapSimd(backendName, backend);
  // tf.sum's precision on this backend: float32 on wasm, double rounded once on cpu.
  const sumRound = backendName === "wasm" ? f : (v: number) => v;
  return withMemory(backendName, backend, ins, shapes, (vin, vout) => {
    const [accB1, accB2] = [vin[0][0], vin[1][0]];
    const b1 = f(beta1);
    const b2 = f(beta2);
    const c1 = f(1 - beta1);
    const c2 = f(1 - beta2);
    const eps = f(epsilon);
    const negLr = f(-learningRate);
    const omb1 = f(1 - accB1);
    const omb2 = f(1 - accB2);
    const l2f = f(l2);
    let penalty = 0;
    for (let i = 0; i < count; i++) {
      const [w, g, m, v] = vin.slice(2 + 4 * i, 6 + 4 * i);
      const [w2, m2, v2] = vout.slice(3 * i, 3 * i + 3);
      const decay = l2 > 0 && decays[i] === 1;
      // On the wasm heap, 4 lanes at a time (bit-identical); the last length % 4 elements below.
      const head = simd ? w.length - (w.length % 4) : 0;
      let squares = 0;
      if (head > 0) {
        const ptrs = [w.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset, w2.byteOffset, m2.byteOffset, v2.byteOffset] as const;
        if (decay) squares = simd!.adamL2(...ptrs, head * 4, b1, b2, c1, c2, omb1, omb2, eps, negLr, l2);
        else simd!.adam(...ptrs, head * 4, b1, b2, c1, c2, omb1, omb2, eps, negLr);
      }
      for (let j = head; j < w.length; j++) {
        const gj = decay ? f(g[j] + f(w[j] * l2f)) : g[j];
        if (decay) squares = sumRound(squares + f(w[j] * w[j]));
        const mj = f(f(m[j] * b1) + f(gj * c1));
        const vj = f(f(v[j] * b2) + f(f(gj * gj) * c2));
        m2[j] = mj;
        v2[j] = vj;
        const denom = f(f(Math.sqrt(f(vj / omb2))) + eps);
        w2[j] = f(f(f(f(mj / omb1) / denom) * negLr) + w[j]);
      }
      if (decay) penalty = f(penalty + f(f(l2 / 2) * f(squares)));
    }
    vout[3 * count][0] = f(accB1 * b1);
    vout[3 * count + 1][0] = f(accB2 * b2);
    if (l2 > 0) vout[3 * count + 2][0] = penalty;
  });
});

/** One L2 penalty folded into the update: its coefficient and which of the variables it applies to. */
export interface L2Decay {
  l2: number;
  applies: boolean[];
}

/** Whether fusedAdamUpdate can apply `optimizer` here (a plain tf.AdamOptimizer on a memory backend). */
export function adamFusable(optimizer: tf.Optimizer): boolean {
  return optimizer.constructor === tf.AdamOptimizer && memoryKernelsAvailable();
}

/**
 * Applies `grads` (in the order of `vars`) with `optimizer` in one kernel
 * when it is a plain tf.AdamOptimizer on a memory backend; returns false
 * (having done nothing) otherwise. With `decay`, returns the penalty's value
 * before the update (a scalar the caller disposes); otherwise null.
 */
export function fusedAdamUpdate(
  optimizer: tf.Optimizer,
  vars: tf.Variable[],
  grads: Array<tf.Tensor | undefined>,
  decay?: L2Decay,
): false | { penalty: tf.Scalar | null } {
  if (!adamFusable(optimizer)) return false;
  if (grads.some((g) => !g || g.dtype !== "float32") || vars.some((v) => v.dtype !== "float32")) return false;
  // The state tfjs keeps in protected fields; reading and writing it keeps the optimizer usable by tfjs afterwards.
  const o = optimizer as unknown as AdamInternals;
  const l2 = decay && decay.l2 > 0 && decay.applies.some(Boolean) ? decay.l2 : 0;
  const penalty = tf.tidy((): tf.Scalar | undefined => {
    const inputs: tf.NamedTensorMap = { accBeta1: o.accBeta1, accBeta2: o.accBeta2 };
    const moments = vars.map((v, i) => {
      o.accumulatedFirstMoment[i] ??= { originalName: `${v.name}/m`, variable: tf.tidy(() => tf.zerosLike(v).variable(false)) };
      o.accumulatedSecondMoment[i] ??= { originalName: `${v.name}/v`, variable: tf.tidy(() => tf.zerosLike(v).variable(false)) };
      const m = o.accumulatedFirstMoment[i]!.variable;
      const s = o.accumulatedSecondMoment[i]!.variable;
      Object.assign(inputs, { [`w${i}`]: v, [`g${i}`]: grads[i]!, [`m${i}`]: m, [`v${i}`]: s });
      return [m, s];
    });
    const decays = vars.map((_, i) => (decay?.applies[i] ? 1 : 0));
    const attrs = { count: vars.length, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, learningRate: o.learningRate, l2, decays };
    const outs = tf.engine().runKernel("ReglabAdam", inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    vars.forEach((v, i) => {
      v.assign(outs[3 * i]);
      moments[i][0].assign(outs[3 * i + 1]);
      moments[i][1].assign(outs[3 * i + 2]);
    });
    o.accBeta1.assign(outs[3 * vars.length]);
    o.accBeta2.assign(outs[3 * vars.length + 1]);
    return l2 > 0 ? (outs[3 * vars.length + 2] as tf.Scalar) : undefined;
  });
  o.incrementIterations();
  return { penalty: penalty ?? null };
}
