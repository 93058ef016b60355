// The wasm kernel wrappers in src/backend.ts must give the cpu backend's
// numbers and not leak: matmul (explicit transpose, then an untransposed
// XNNPACK matmul) for every transpose combination, batch broadcasting, the
// fused kernel with bias + relu, and gradients; Slice (range copy for
// contiguous slices); Identity (shared buffer).
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../src/backend";
import { rng } from "../../../src/random/seed";

function randomArray(n: number, seedValue: number): Float32Array {
  const r = rng(seedValue);
  return Float32Array.from({ length: n }, () => r.normal());
}

async function on<T>(backend: "cpu" | "wasm", f: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await useBackend(backend, { quiet: true });
  const before = tf.memory().numTensors;
  const outs = tf.tidy(f);
  const list = Array.isArray(outs) ? outs : [outs];
  const values = await Promise.all(list.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(list);
  assert.equal(tf.memory().numTensors, before, `${backend}: tensors leaked`);
  return values;
}

function assertClose(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < got.length; i++) {
    const tol = 1e-4 * Math.max(1, Math.abs(want[i]));
    assert.ok(Math.abs(got[i] - want[i]) <= tol, `${what}[${i}]: wasm ${got[i]} vs cpu ${want[i]}`);
  }
}

const cases: Array<{ a: number[]; b: number[]; ta: boolean; tb: boolean }> = [];
for (const ta of [false, true]) {
  for (const tb of [false, true]) {
    cases.push({ a: ta ? [7, 5] : [5, 7], b: tb ? [3, 7] : [7, 3], ta, tb });
    cases.push({ a: ta ? [2, 7, 5] : [2, 5, 7], b: tb ? [1, 3, 7] : [1, 7, 3], ta, tb });
    // A small left operand and a large right one: the wrapper computes (op(B)^T op(A)^T)^T when flags are set.
    cases.push({ a: ta ? [7, 2] : [2, 7], b: tb ? [9, 7] : [7, 9], ta, tb });
    cases.push({ a: ta ? [1, 7, 2] : [1, 2, 7], b: tb ? [1, 9, 7] : [1, 7, 9], ta, tb });
  }
}

test("wasm batchMatMul equals cpu for every transpose combination and broadcast batch", async () => {
  for (const [k, c] of cases.entries()) {
    const av = randomArray(c.a.reduce((p, q) => p * q, 1), 10 + k);
    const bv = randomArray(c.b.reduce((p, q) => p * q, 1), 50 + k);
    const run = () => tf.matMul(tf.tensor(av, c.a), tf.tensor(bv, c.b), c.ta, c.tb);
    const [want] = await on("cpu", run);
    const [got] = await on("wasm", run);
    assertClose(got, want, `matMul ${JSON.stringify(c)}`);
  }
});

test("wasm fused matMul (bias + relu) equals cpu with transposes", async () => {
  for (const [k, c] of cases.filter((c) => c.a.length === 2).entries()) {
    const av = randomArray(c.a[0] * c.a[1], 100 + k);
    const bv = randomArray(c.b[0] * c.b[1], 200 + k);
    const bias = randomArray(c.tb ? c.b[0] : c.b[1], 300 + k);
    const run = () =>
      tf.fused.matMul({
        a: tf.tensor(av, c.a), b: tf.tensor(bv, c.b), transposeA: c.ta, transposeB: c.tb, bias: tf.tensor1d(bias), activation: "relu"
      });
    const [want] = await on("cpu", run);
    const [got] = await on("wasm", run);
    assertClose(got, want, `fused ${JSON.stringify(c)}`);
  }
});

test("gradients of a dense layer (which use transposed matmuls) agree between wasm and cpu", async () => {
  const xv = randomArray(6 * 4, 1);
  const wv = randomArray(4 * 3, 2);
  const grads = () => {
    const x = tf.tensor2d(xv, [6, 4]);
    const w = tf.tensor2d(wv, [4, 3]);
    const g = tf.grads((xx: tf.Tensor, ww: tf.Tensor) => tf.sum(tf.square(tf.relu(tf.matMul(xx, ww)))));
    return g([x, w]);
  };
  const want = await on("cpu", grads);
  const got = await on("wasm", grads);
  assertClose(got[0], want[0], "dL/dx");
  assertClose(got[1], want[1], "dL/dW");
});

test("wasm slice equals cpu: row ranges, inner (non-contiguous) slices, int32, empty", async () => {
  const xv = randomArray(7 * 5 * 3, 9);
  const iv = Int32Array.from({ length: 7 * 5 }, (_, i) => i * 3 - 17);
  const slices = () => {
    const x = tf.tensor3d(xv, [7, 5, 3]);
    const i = tf.tensor2d(iv, [7, 5], "int32");
    return [
      tf.slice(x, [2, 0, 0], [3, 5, 3]),
      tf.slice(x, [6, 0, 0], [-1, -1, -1]),
      tf.slice(x, [1, 1, 0], [2, 3, 2]),
      tf.slice(x, [3, 2, 0], [1, 2, 3]),
      tf.slice(x, [0, 0, 0], [0, 5, 3]),
      tf.slice(i, [4, 0], [2, 5]).toFloat(),
      tf.slice(i, [0, 1], [7, 2]).toFloat(),
    ];
  };
  const want = await on("cpu", slices);
  const got = await on("wasm", slices);
  want.forEach((w, k) => assertClose(got[k], w, `slice ${k}`));
});

test("wasm identity shares the buffer safely: a clone survives its source and a variable's reassignment", async () => {
  await useBackend("wasm", { quiet: true });
  const before = tf.memory().numTensors;
  const init = tf.tensor1d([1, 2, 3]);
  const v = tf.variable(init);
  const c = v.clone();
  const next = tf.tensor1d([7, 8, 9]);
  v.assign(next);
  init.dispose();
  next.dispose();
  assert.deepEqual(Array.from(await c.data()), [1, 2, 3]);
  assert.deepEqual(Array.from(await v.data()), [7, 8, 9]);
  const a = tf.tensor1d([4, 5]);
  const b = tf.clone(a);
  a.dispose();
  assert.deepEqual(Array.from(await b.data()), [4, 5]);
  b.dispose();
  c.dispose();
  v.dispose();
  assert.equal(tf.memory().numTensors, before);
});
