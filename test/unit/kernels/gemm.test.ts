// reglab's SIMD GEMM (src/kernels/gemm.ts, via src/kernels/matmul.ts and the
// wasm matmul kernels it now serves, src/wasm-kernels.ts): bit for bit
// (1) the definition — float32, one product added at a time in increasing k,
// starting from the bias — and (2) tfjs-backend-wasm's own XNNPACK kernels,
// for every tile shape (4 × 8 blocks, 4- and 1-3-column edges, single rows),
// with and without bias and relu, and the transposed forms.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../src/backend";
import { seed } from "../../../src/random/seed";
import { denseForward, matMulNT, matMulTN } from "../../../src/kernels/matmul";
import { originalWasmKernel } from "../../../src/backend/wrap-kernel";

const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1], [3, 9, 2], [4, 9, 3], [7, 3, 5], [13, 17, 11], [5, 256, 256], [64, 64, 256], [64, 256, 10], [256, 64, 10], [6, 40, 33],
];

function bitsOf(x: tf.Tensor | Float32Array): Uint32Array {
  const v = x instanceof Float32Array ? x : (x.dataSync() as Float32Array);
  return new Uint32Array(Float32Array.from(v).buffer);
}

function sameBits(ours: tf.Tensor, theirs: tf.Tensor | Float32Array, what: string): void {
  const [a, b] = [bitsOf(ours), bitsOf(theirs)];
  assert.equal(a.length, b.length, `${what}: size`);
  const at = a.findIndex((v, i) => v !== b[i]);
  assert.equal(at, -1, `${what}: element ${at} differs`);
}

/** C = relu?(bias + sum_k a[i,k] b[k,j]) in float32, k in increasing order. */
function reference(a: Float32Array, b: Float32Array, bias: Float32Array | null, m: number, k: number, n: number, relu: boolean) {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias ? bias[j] : 0;
      for (let p = 0; p < k; p++) s = Math.fround(s + Math.fround(a[i * k + p] * b[p * n + j]));
      c[i * n + j] = relu ? (s > 0 ? s : 0) : s;
    }
  }
  return c;
}

/** tfjs-backend-wasm's own matmul kernel (XNNPACK), bypassing reglab's wrapper. */
function xnnpack(name: "BatchMatMul" | "_FusedMatMul", inputs: tf.NamedTensorMap, attrs: Record<string, unknown>): Float32Array {
  const backend = tf.backend() as unknown as { readSync(id: object): Float32Array; disposeData(id: object): void };
  const kernel = originalWasmKernel(name)!;
  const args = { inputs, backend: backend as unknown as tf.KernelBackend, attrs: attrs as tf.NamedAttrMap };
  const out = kernel.kernelFunc(args) as tf.TensorInfo;
  const values = Float32Array.from(backend.readSync(out.dataId));
  backend.disposeData(out.dataId);
  return values;
}

test("the GEMM is bit-identical to its definition and to tfjs-backend-wasm's XNNPACK kernels", async () => {
  await useBackend("wasm", { quiet: true });
  seed(3);
  for (const [m, k, n] of SHAPES) {
    tf.tidy(() => {
      const x = tf.randomNormal([m, k]) as tf.Tensor2D;
      const w = tf.randomNormal([k, n]) as tf.Tensor2D;
      const bias = tf.randomNormal([n]) as tf.Tensor1D;
      const dz = tf.randomNormal([m, n]) as tf.Tensor2D;
      const [xv, wv, bv, dzv] = [x, w, bias, dz].map((t) => t.dataSync() as Float32Array);
      const [x3, w3, dz3] = [x.reshape([1, m, k]), w.reshape([1, k, n]), dz.reshape([1, m, n])];
      const shape = `${m}×${k}×${n}`;
      for (const relu of [false, true]) {
        const activation = relu ? "relu" : "linear";
        const ours = denseForward(x, w, bias, relu);
        sameBits(ours, reference(xv, wv, bv, m, k, n, relu), `forward ${shape} ${activation} vs definition`);
        sameBits(ours, xnnpack("_FusedMatMul", { a: x3, b: w3, bias }, { activation }), `forward ${shape} ${activation} vs XNNPACK`);
        sameBits(denseForward(x, w, null, relu), reference(xv, wv, null, m, k, n, relu), `forward ${shape} ${activation}, no bias`);
      }
      const xt = tf.transpose(x).dataSync() as Float32Array;
      const dW = matMulTN(x, dz);
      sameBits(dW, reference(xt, dzv, null, k, m, n, false), `xᵀ dz ${shape} vs definition`);
      sameBits(dW, xnnpack("BatchMatMul", { a: tf.transpose(x).reshape([1, k, m]), b: dz3 }, {}), `xᵀ dz ${shape} vs XNNPACK`);
      const wt = tf.transpose(w).dataSync() as Float32Array;
      sameBits(matMulNT(dz, w), reference(dzv, wt, null, m, n, k, false), `dz wᵀ ${shape} vs definition`);
      // tf.matMul on wasm now runs the GEMM too (src/wasm-kernels.ts): the same bits through the public op.
      sameBits(tf.matMul(x, w), reference(xv, wv, null, m, k, n, false), `tf.matMul ${shape}`);
      sameBits(tf.matMul(dz, w, false, true), reference(dzv, wt, null, m, n, k, false), `tf.matMul(dz, w, false, true) ${shape}`);
    });
  }
});

test("on the cpu backend the products are tfjs's own ops", async () => {
  await useBackend("cpu", { quiet: true });
  tf.tidy(() => {
    const x = tf.randomNormal([5, 7]) as tf.Tensor2D;
    const w = tf.randomNormal([7, 3]) as tf.Tensor2D;
    const bias = tf.randomNormal([3]);
    sameBits(denseForward(x, w, bias, true), tf.fused.matMul({ a: x, b: w, bias, activation: "relu" }), "forward");
    sameBits(matMulTN(x, x), tf.matMul(x, x, true, false), "xᵀ x");
    sameBits(matMulNT(x, x), tf.matMul(x, x, false, true), "x xᵀ");
  });
});

test("an empty inner dimension gives the bias (tfjs 4.22's wasm matmul returns uninitialized memory there)", async () => {
  await useBackend("wasm", { quiet: true });
  tf.tidy(() => {
    const bias = tf.tensor1d([1, -2, 3]);
    const out = denseForward(tf.zeros([2, 0]) as tf.Tensor2D, tf.zeros([0, 3]) as tf.Tensor2D, bias, true);
    assert.deepEqual(Array.from(out.dataSync()), [1, 0, 3, 1, 0, 3]);
  });
});

test("mismatched inner dimensions are an error, not garbage", async () => {
  await useBackend("wasm", { quiet: true });
  const a = tf.ones([3, 4]) as tf.Tensor2D;
  const b = tf.ones([5, 2]) as tf.Tensor2D;
  assert.throws(() => denseForward(a, b, null, false), /inner dimensions/);
  tf.dispose([a, b]);
});

test("no tensor or heap buffer is left behind (the transposed temporaries are freed)", async () => {
  await useBackend("wasm", { quiet: true });
  const dz = tf.randomNormal([8, 40]) as tf.Tensor2D;
  const w = tf.randomNormal([20, 40]) as tf.Tensor2D;
  const ids = () => (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds();
  const [tensors, buffers] = [tf.memory().numTensors, ids()];
  matMulNT(dz, w).dispose();
  matMulTN(dz, dz).dispose();
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(ids(), buffers);
  tf.dispose([dz, w]);
});
