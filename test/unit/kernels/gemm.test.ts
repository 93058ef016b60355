// reglab's SIMD GEMM (src/kernels/gemm.ts, via src/kernels/matmul.ts): bit for
// bit what tf.fused.matMul / tf.matMul give on the wasm backend, for every
// tile shape (4 × 8 blocks, 4- and 1-3-column edges, single rows), with and
// without bias and relu, and the transposed forms the backward pass uses.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../src/backend";
import { seed } from "../../../src/random/seed";
import { denseForward, matMulNT, matMulTN } from "../../../src/kernels/matmul";

const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1], [3, 9, 2], [4, 9, 3], [7, 3, 5], [13, 17, 11], [5, 256, 256], [64, 64, 256], [64, 256, 10], [256, 64, 10],
];

function sameBits(ours: tf.Tensor, theirs: tf.Tensor, what: string): void {
  assert.deepEqual(ours.shape, theirs.shape, `${what}: shape`);
  const a = new Uint32Array(ours.dataSync().buffer.slice(0));
  const b = new Uint32Array(theirs.dataSync().buffer.slice(0));
  const at = a.findIndex((v, i) => v !== b[i]);
  assert.equal(at, -1, `${what}: element ${at} differs (${ours.dataSync()[at]} vs ${theirs.dataSync()[at]})`);
}

for (const backend of ["wasm", "cpu"] as const) {
  test(`dense products are bit-identical to tfjs's (${backend})`, async () => {
    await useBackend(backend, { quiet: true });
    seed(3);
    for (const [m, k, n] of SHAPES) {
      tf.tidy(() => {
        const x = tf.randomNormal([m, k]) as tf.Tensor2D;
        const w = tf.randomNormal([k, n]) as tf.Tensor2D;
        const bias = tf.randomNormal([n]);
        const dz = tf.randomNormal([m, n]) as tf.Tensor2D;
        const shape = `${m}×${k}×${n}`;
        for (const relu of [false, true]) {
          const activation = relu ? "relu" : "linear";
          sameBits(denseForward(x, w, bias, relu), tf.fused.matMul({ a: x, b: w, bias, activation }), `forward ${shape} ${activation}`);
          sameBits(denseForward(x, w, null, relu), tf.fused.matMul({ a: x, b: w, activation }), `forward ${shape} ${activation}, no bias`);
        }
        sameBits(matMulTN(x, dz), tf.matMul(x, dz, true, false), `xᵀ dz ${shape}`);
        sameBits(matMulNT(dz, w), tf.matMul(dz, w, false, true), `dz wᵀ ${shape}`);
      });
    }
  });
}

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

test("no tensor is left behind (the transposed temporary is freed)", async () => {
  await useBackend("wasm", { quiet: true });
  const dz = tf.randomNormal([8, 12]) as tf.Tensor2D;
  const w = tf.randomNormal([20, 12]) as tf.Tensor2D;
  const before = tf.memory();
  const bytes = (tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds();
  matMulNT(dz, w).dispose();
  assert.equal(tf.memory().numTensors, before.numTensors);
  assert.equal((tf.backend() as unknown as { dataIdMap: { numDataIds(): number } }).dataIdMap.numDataIds(), bytes);
  tf.dispose([dz, w]);
});
