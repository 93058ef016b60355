/**
 * The elementwise parts of a dense network's hand-derived backward pass
 * (src/training/dense-chain.ts) as single kernels on the backend's memory,
 * each replacing the ~10-25 small tfjs kernels autodiff records:
 *
 * softmaxCrossEntropy(z, y): p = softmax(z) and, as tfjs's categorical
 * cross-entropy on probabilities computes it (tfjs-layers losses.ts),
 *   q = p / sum_j p_j,  c = clip(q, eps, 1 - eps),  J = -(1/B) sum_rows sum_j y_j log c_j,
 * with the exact chain rule of those ops, clip included (zero gradient where
 * q is clipped):
 *   dq_j = -y_j / (B c_j) if eps <= q_j <= 1 - eps else 0,
 *   dp_j = (dq_j - sum_k dq_k q_k) / S,      dz_j = p_j (dp_j - sum_k dp_k p_k).
 * When no entry is clipped and rows of y sum to 1 this is (p - y) / B.
 *
 * activationGrad(dh, a, mask): the gradient through dropout and the
 * activation a = f(z): dz = dh * mask * scale * f'(z), with f'(z) written
 * in terms of a (relu: a > 0; tanh: 1 - a^2; linear: 1).
 *
 * Both also return db = sum_rows dz, the bias gradient, summed row by row as
 * tf.sum(dz, 0) sums on the backend (wasm: in float32; cpu: in double,
 * rounded once), so it is bit-identical to it.
 *
 * Sums run in double precision and results are rounded to float32, so
 * values agree with autodiff to float32 rounding (tested in
 * test/unit/training/dense-chain.test.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { heapSimd, registerMemoryKernel, withMemory } from "./backend-memory";

export type HiddenActivation = "relu" | "tanh" | "linear";

/** tfjs-layers' epsilon() for the cross-entropy clip. */
const EPS = 1e-7;

registerMemoryKernel("ReglabSoftmaxCrossEntropy", (backendName, { inputs, backend }) => {
  const { z, y } = inputs as { z: tf.TensorInfo; y: tf.TensorInfo };
  const [rows, k] = z.shape;
  return withMemory(backendName, backend, [z, y], [z.shape, z.shape, [], [k]], ([zv, yv], [p, dz, loss, db]) => {
    loss[0] = crossEntropyRows(zv, yv, p, dz, rows, k) / rows;
    columnSums(backendName, dz, rows, k, db, 0);
  });
});

/**
 * p, dz for every row; returns the summed cross-entropy. The loop is a
 * function of its own with nothing after it: V8 compiles a long-running loop
 * while it runs, and code after it with no type feedback yet made that code
 * bail out at the loop's end on every call (seen: 1 ms became 4 ms).
 */
function crossEntropyRows(zv: Float32Array, yv: Float32Array, p: Float32Array, dz: Float32Array, rows: number, k: number): number {
  const lo = Math.fround(EPS);
  const hi = Math.fround(1 - EPS);
  const e = new Float64Array(k);
  const dq = new Float64Array(k);
  const dp = new Float64Array(k);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, zv[o + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += e[j] = Math.exp(zv[o + j] - max);
    // s sums the double quotients; q below divides the stored float32 p (as before).
    let s = 0;
    for (let j = 0; j < k; j++) s += p[o + j] = e[j] / sum;
    let rdq = 0;
    for (let j = 0; j < k; j++) {
      const q = p[o + j] / s;
      const c = Math.min(Math.max(q, lo), hi);
      const yj = yv[o + j];
      if (yj !== 0) total -= yj * Math.log(c);
      dq[j] = q >= lo && q <= hi ? -yj / (rows * c) : 0;
      rdq += dq[j] * q;
    }
    let t = 0;
    for (let j = 0; j < k; j++) t += (dp[j] = (dq[j] - rdq) / s) * p[o + j];
    for (let j = 0; j < k; j++) dz[o + j] = p[o + j] * (dp[j] - t);
  }
  return total;
}

/** out[j] = sum_r x[r, j] for columns from `from`, rows in order, with the backend's Sum precision. */
function columnSums(backendName: string, x: Float32Array, rows: number, cols: number, out: Float32Array, from: number): void {
  const round = backendName === "wasm" ? Math.fround : (v: number) => v;
  for (let j = from; j < cols; j++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s = round(s + x[r * cols + j]);
    out[j] = s;
  }
}

registerMemoryKernel("ReglabActivationGrad", (backendName, { inputs, backend, attrs }) => {
  const { dh, a, mask } = inputs as { dh: tf.TensorInfo; a: tf.TensorInfo; mask?: tf.TensorInfo };
  const { activation, scale } = attrs as unknown as { activation: HiddenActivation; scale: number };
  const ins = mask ? [dh, a, mask] : [dh, a];
  const simd = heapSimd(backendName, backend);
  const [rows, cols] = dh.shape;
  return withMemory(backendName, backend, ins, [dh.shape, [cols]], ([g, av, m], [dz, db]) => {
    // ReLU on the wasm heap: 4 lanes at a time, the last length % 4 in the loop below.
    const head = simd && activation === "relu" ? dz.length - (dz.length % 4) : 0;
    if (head > 0 && m) simd!.reluGrad(g.byteOffset, av.byteOffset, m.byteOffset, dz.byteOffset, head * 4, scale);
    else if (head > 0) simd!.reluGradNoMask(g.byteOffset, av.byteOffset, dz.byteOffset, head * 4, scale);
    activationGradLoop(activation, g, av, m ?? null, scale, dz, head);
    const colHead = simd ? cols - (cols % 4) : 0;
    if (colHead > 0) simd!.colSums(dz.byteOffset, db.byteOffset, rows, cols * 4, colHead * 4);
    columnSums(backendName, dz, rows, cols, db, colHead);
  });
});

// One loop per case: a test inside the loop per element cost more than the arithmetic.
function activationGradLoop(
  activation: HiddenActivation,
  g: Float32Array,
  a: Float32Array,
  m: Float32Array | null,
  scale: number,
  dz: Float32Array,
  from = 0,
): void {
  const n = dz.length;
  if (activation === "relu" && m) for (let i = from; i < n; i++) dz[i] = a[i] > 0 ? g[i] * m[i] * scale : 0;
  else if (activation === "relu") for (let i = from; i < n; i++) dz[i] = a[i] > 0 ? g[i] * scale : 0;
  else if (activation === "tanh" && m) for (let i = 0; i < n; i++) dz[i] = g[i] * m[i] * scale * (1 - a[i] * a[i]);
  else if (activation === "tanh") for (let i = 0; i < n; i++) dz[i] = g[i] * scale * (1 - a[i] * a[i]);
  else if (m) for (let i = 0; i < n; i++) dz[i] = g[i] * m[i] * scale;
  else for (let i = 0; i < n; i++) dz[i] = g[i] * scale;
}

/** Softmax probabilities, the gradient of the mean cross-entropy w.r.t. the logits (and its column sums), and the loss. */
export function softmaxCrossEntropy(
  z: tf.Tensor2D,
  y: tf.Tensor2D,
): { probs: tf.Tensor2D; dz: tf.Tensor2D; db: tf.Tensor1D; loss: tf.Scalar } {
  const [probs, dz, loss, db] = tf.engine().runKernel("ReglabSoftmaxCrossEntropy", { z, y }, {}) as tf.Tensor[];
  return { probs: probs as tf.Tensor2D, dz: dz as tf.Tensor2D, db: db as tf.Tensor1D, loss: loss as tf.Scalar };
}

/** dh through dropout (mask × scale; no mask: scale only) and the activation whose output is `a`, and its column sums. */
export function activationGrad(
  dh: tf.Tensor2D,
  a: tf.Tensor2D,
  activation: HiddenActivation,
  mask: tf.Tensor | null,
  scale: number,
): { dz: tf.Tensor2D; db: tf.Tensor1D } {
  const inputs: tf.NamedTensorMap = mask ? { dh, a, mask } : { dh, a };
  const attrs = { activation, scale } as unknown as tf.NamedAttrMap;
  const [dz, db] = tf.engine().runKernel("ReglabActivationGrad", inputs, attrs) as tf.Tensor[];
  return { dz: dz as tf.Tensor2D, db: db as tf.Tensor1D };
}
