import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed, unseed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { multitaskModel, independentModels } from "../../../src/models/multitask";
import { train } from "../../../src/training/train";

const spec = {
  inputs: 4,
  shared: [8],
  heads: [
    { name: "a", units: 1 },
    { name: "b", units: 3, activation: "softmax" as const, hidden: [5] },
  ],
};

test("multitaskModel: shared trunk, heads named by task, independent baseline with the same shape", async () => {
  await useBackend("cpu", { quiet: true });
  seed(1);
  const m = multitaskModel(spec);
  assert.deepEqual(m.outputNames, ["a", "b"]);
  assert.deepEqual(m.layers.map((l) => l.name).sort(), ["a", "b", "b_hidden_1", "input", "shared_1"]);
  const outs = m.predict(tf.ones([2, 4])) as tf.Tensor[];
  assert.deepEqual(outs.map((o) => o.shape), [[2, 1], [2, 3]]);
  tf.dispose(outs);
  const ind = independentModels(spec);
  assert.deepEqual(Object.keys(ind), ["a", "b"]);
  assert.equal(ind.b.countParams(), 4 * 8 + 8 + 8 * 5 + 5 + 5 * 3 + 3);
  assert.equal(m.countParams(), 4 * 8 + 8 + 8 + 1 + 8 * 5 + 5 + 5 * 3 + 3);
  // Seeded: the same weights again.
  seed(1);
  const m2 = multitaskModel(spec);
  assert.deepEqual(m2.getWeights()[0].arraySync(), m.getWeights()[0].arraySync());
  assert.throws(() => multitaskModel({ ...spec, heads: [{ name: "a", units: 1 }, { name: "a", units: 1 }] }), /duplicate/);
  assert.throws(() => multitaskModel({ ...spec, heads: [{ name: "bad name", units: 1 }] }), /letters/);
  [m, m2, ...Object.values(ind)].forEach((x) => x.dispose());
  unseed();
});

/** Parameters after ONE full-batch SGD step of `train` with the given loss weights, from fixed initial weights. */
async function afterOneStep(
  init: tf.Tensor[], weights: Record<string, number>, x: tf.Tensor, y: Record<string, tf.Tensor>
): Promise<Float64Array[]> {
  const m = multitaskModel(spec);
  m.setWeights(init);
  await train(m, { x, y }, {
    epochs: 1,
    batchSize: x.shape[0],
    optimizer: "sgd",
    learningRate: 0.1,
    loss: { a: "mse", b: "categoricalCrossentropy" },
    lossWeights: weights,
    shuffle: false,
    progress: false,
  });
  const out = m.getWeights().map((w) => Float64Array.from(w.dataSync()));
  m.dispose();
  return out;
}

test("loss weights: weight 0 leaves a head untrained; the step is linear in the weights", async () => {
  await useBackend("cpu", { quiet: true });
  seed(2);
  const x = tf.randomNormal([16, 4]);
  const y = { a: tf.randomNormal([16, 1]), b: tf.tidy(() => tf.oneHot(tf.randomUniform([16], 0, 3, "int32"), 3)) };
  const base = multitaskModel(spec);
  const init = base.getWeights().map((w) => w.clone());
  const w0 = init.map((w) => Float64Array.from(w.dataSync()));
  const names = base.weights.map((w) => w.originalName);
  const onlyA = await afterOneStep(init, { a: 1, b: 0 }, x, y);
  const onlyB = await afterOneStep(init, { a: 0, b: 1 }, x, y);
  const mixed = await afterOneStep(init, { a: 2, b: 3 }, x, y);
  const moved = (p: Float64Array[], i: number) => p[i].some((v, j) => v !== w0[i][j]);
  names.forEach((name, i) => {
    const head = name.split("/")[0];
    if (head === "b" || head === "b_hidden_1") assert.ok(!moved(onlyA, i), `${name} must not change when b's weight is 0`);
    if (head === "a") assert.ok(!moved(onlyB, i), `${name} must not change when a's weight is 0`);
    if (head === "shared_1") assert.ok(moved(onlyA, i) && moved(onlyB, i));
    // SGD: delta(2, 3) = 2 delta(1, 0) + 3 delta(0, 1).
    mixed[i].forEach((v, j) => {
      const expected = w0[i][j] + 2 * (onlyA[i][j] - w0[i][j]) + 3 * (onlyB[i][j] - w0[i][j]);
      assert.ok(Math.abs(v - expected) < 1e-5, `${name}[${j}]: ${v} vs ${expected}`);
    });
  });
  tf.dispose([x, y.a, y.b, ...init]);
  base.dispose();
  unseed();
});
