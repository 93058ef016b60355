// The one-kernel Adam update (src/kernels/adam.ts; WebAssembly SIMD on wasm)
// is tfjs's AdamOptimizer.applyGradients bit for bit, keeps the optimizer's
// state so tfjs can carry on from it, and leaves other optimizers alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../src/backend";
import { seed } from "../../../src/random/seed";
import { fusedAdamUpdate } from "../../../src/kernels/adam";
import { l2 } from "../../../src/regularizers/norm-penalties";

// Shapes with lengths that are and are not multiples of 4 (the SIMD loop's tail).
const SHAPES = [[7, 13], [13], [64, 33], [33], [5]];

function setUp() {
  seed(4);
  const init = SHAPES.map((s) => tf.randomNormal(s));
  const steps = Array.from({ length: 6 }, () => SHAPES.map((s) => tf.mul(tf.randomNormal(s), 0.1)));
  return { init, steps };
}

for (const backend of ["wasm", "cpu"] as const) {
  test(`fused Adam = tfjs Adam bit for bit over 6 steps, then tfjs continues from its state (${backend})`, async () => {
    await useBackend(backend, { quiet: true });
    const { init, steps } = setUp();
    const a = init.map((t) => tf.variable(t.clone()));
    const b = init.map((t) => tf.variable(t.clone()));
    const oa = tf.train.adam(0.01, 0.8, 0.99, 1e-6);
    const ob = tf.train.adam(0.01, 0.8, 0.99, 1e-6);
    const before = tf.memory().numTensors;
    for (const g of steps.slice(0, 4)) {
      assert.ok(fusedAdamUpdate(oa, a, g));
      ob.applyGradients(b.map((v, i) => ({ name: v.name, tensor: g[i] })));
    }
    // 2 moments per variable, created on the first step, are the only new tensors.
    assert.equal(tf.memory().numTensors - before, 2 * 2 * SHAPES.length);
    for (const g of steps.slice(4)) {
      oa.applyGradients(a.map((v, i) => ({ name: v.name, tensor: g[i] })));
      ob.applyGradients(b.map((v, i) => ({ name: v.name, tensor: g[i] })));
    }
    a.forEach((v, i) => assert.deepEqual(v.dataSync(), b[i].dataSync(), `variable ${i}`));
    assert.equal(oa.iterations, ob.iterations);
    const [wa, wb] = [await oa.getWeights(), await ob.getWeights()];
    wa.forEach((w, i) => assert.deepEqual(w.tensor.dataSync(), wb[i].tensor.dataSync(), w.name));
    tf.dispose([...a, ...b, ...init, ...steps.flat()]);
    oa.dispose();
    ob.dispose();
  });
}

for (const backend of ["wasm", "cpu"] as const) {
  const name = `fused Adam with an L2 penalty = train's generic path bit for bit: the decayed update and the penalty's value (${backend})`;
  test(name, async () => {
    await useBackend(backend, { quiet: true });
    const { init, steps } = setUp();
    const a = init.map((t) => tf.variable(t.clone()));
    const b = init.map((t) => tf.variable(t.clone()));
    const [oa, ob] = [tf.train.adam(0.01), tf.train.adam(0.01)];
    const penalty = l2(3e-3);
    // The penalty on some variables only (as on kernels but not biases).
    const applies = SHAPES.map((s) => s.length === 2);
    for (const g of steps) {
      const fused = fusedAdamUpdate(oa, a, g, { l2: penalty.l2, applies });
      assert.ok(fused && fused.penalty);
      // train's generic path (src/training/train.ts): the value before the update, then g + l2·w, then Adam.
      const value = penalty.value(b.filter((_, i) => applies[i]));
      const grads = b.map((v, i) => (applies[i] ? tf.add(g[i], tf.mul(v, penalty.l2)) : g[i]));
      ob.applyGradients(b.map((v, i) => ({ name: v.name, tensor: grads[i] })));
      assert.deepEqual(fused.penalty.dataSync(), value.dataSync(), "penalty value");
      tf.dispose([fused.penalty, value, ...grads.filter((t, i) => applies[i])]);
    }
    a.forEach((v, i) => assert.deepEqual(v.dataSync(), b[i].dataSync(), `variable ${i}`));
    tf.dispose([...a, ...b, ...init, ...steps.flat()]);
    oa.dispose();
    ob.dispose();
  });
}

test("fused Adam declines what it does not handle: other optimizers, AdamW-like subclasses, missing gradients", async () => {
  await useBackend("wasm", { quiet: true });
  const v = [tf.variable(tf.ones([3]))];
  const g = [tf.ones([3])];
  class Sub extends tf.AdamOptimizer {}
  assert.equal(fusedAdamUpdate(tf.train.sgd(0.1), v, g), false);
  assert.equal(fusedAdamUpdate(new Sub(0.1, 0.9, 0.999), v, g), false);
  assert.equal(fusedAdamUpdate(tf.train.adam(0.1), v, [undefined]), false);
  assert.deepEqual(Array.from(v[0].dataSync()), [1, 1, 1]);
  tf.dispose([...v, ...g]);
});
