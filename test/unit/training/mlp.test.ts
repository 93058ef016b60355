import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { mlp } from "../../../src/models/mlp";
import { train } from "../../../src/training/train";
import { l2 } from "../../../src/regularizers/norm-penalties";
import { twoMoons } from "../../../src/data/two-moons";
import { regularizationExercise } from "../../../src/data/regularization-exercise";

const weightsOf = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));

test("mlp: architecture, seeded initial weights (global seed and seed option), dropout layers, input checks", async () => {
  await useBackend("cpu", { quiet: true });
  seed(3);
  const a = mlp({ inputs: 4, hidden: [8, 6], outputs: 3, dropout: [0.5, 0], inputDropout: 0.2, outputActivation: "softmax" });
  seed(3);
  const b = mlp({ inputs: 4, hidden: [8, 6], outputs: 3, dropout: [0.5, 0], inputDropout: 0.2, outputActivation: "softmax" });
  assert.deepEqual(weightsOf(a), weightsOf(b));
  assert.deepEqual(a.layers.map((l) => l.getClassName()), ["Dropout", "Dense", "Dropout", "Dense", "Dense"]);
  assert.deepEqual(a.getWeights().map((w) => w.shape), [[4, 8], [8], [8, 6], [6], [6, 3], [3]]);
  const c = mlp({ inputs: 4, hidden: [8, 6], outputs: 3, seed: 9 });
  const d = mlp({ inputs: 4, hidden: [8, 6], outputs: 3, seed: 9 });
  const e = mlp({ inputs: 4, hidden: [8, 6], outputs: 3, seed: 10 });
  assert.deepEqual(weightsOf(c), weightsOf(d));
  assert.notDeepEqual(weightsOf(c), weightsOf(e));
  // Glorot-uniform limit sqrt(6 / (fan_in + fan_out)).
  const lim = Math.sqrt(6 / (4 + 8));
  assert.ok(weightsOf(c)[0].every((v) => Math.abs(v) <= lim));
  // Dropout is active with training: true and off in predict.
  const x = tf.ones([1, 4]);
  const p1 = (a.predict(x) as tf.Tensor).dataSync();
  const p2 = (a.predict(x) as tf.Tensor).dataSync();
  assert.deepEqual(Array.from(p1), Array.from(p2));
  assert.throws(() => mlp({ inputs: 0, hidden: [2], outputs: 1 }), /inputs must be a positive integer/);
  assert.throws(() => mlp({ inputs: 2, hidden: [2], outputs: 1, dropout: 1 }), /dropout must be in \[0, 1\)/);
  [a, b, c, d, e].forEach((m) => m.dispose());
  x.dispose();
});

test("L2 effect over 3 seeds: on the regularization-exercise data a big " +
  "MLP with l2 has smaller weights and a smaller train-test gap", async () => {
  await useBackend("wasm", { quiet: true });
  for (const s of [1, 2, 3]) {
    const data = regularizationExercise({ seed: s, noise: 0.2 });
    const res: Record<string, { norm: number; gap: number }> = {};
    for (const alpha of [0, 0.03]) {
      seed(s);
      const m = mlp({ inputs: 2, hidden: [64, 64], outputs: 1, outputActivation: "sigmoid" });
      const h = await train(m, data.train, {
        epochs: 150, batchSize: 211, optimizer: "adam", learningRate: 0.02, loss: "binaryCrossentropy", penalty: l2(alpha),
        validationData: data.test, progress: false
      });
      const norm = tf.tidy(() => Math.sqrt(m.trainableWeights.filter((w) => w.name.endsWith("kernel")).reduce(
        (acc, w) => acc + tf.sum(tf.square(w.read())).dataSync()[0], 0
      )));
      res[alpha] = { norm, gap: h.last("val_loss")! - h.last("loss")! };
      m.dispose();
    }
    assert.ok(res[0.03].norm < 0.8 * res[0].norm, `seed ${s}: kernel norm ${res[0].norm} -> ${res[0.03].norm}`);
    assert.ok(res[0.03].gap < res[0].gap, `seed ${s}: gap ${res[0].gap} -> ${res[0.03].gap}`);
    [data.train.x, data.train.y, data.test.x, data.test.y].forEach((t) => t.dispose());
    if (process.env.REGLAB_TEST_VERBOSE) console.log(s, res);
  }
});

test("two moons: train reaches high accuracy (sanity of the whole loop)", async () => {
  await useBackend("cpu", { quiet: true });
  seed(1);
  const d = twoMoons({ n: 200, noise: 0.1 });
  const m = mlp({ inputs: 2, hidden: [16, 16], outputs: 1, activation: "tanh", outputActivation: "sigmoid" });
  const h = await train(m, d, {
    epochs: 60, batchSize: 32, optimizer: "adam", learningRate: 0.02, loss: "binaryCrossentropy", metrics: ["accuracy"], progress: false
  });
  assert.ok(h.last("accuracy")! > 0.95, `accuracy ${h.last("accuracy")}`);
  m.dispose();
  d.x.dispose();
  d.y.dispose();
});
