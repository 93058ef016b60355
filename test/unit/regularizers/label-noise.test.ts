/**
 * Noise robustness, finished (7.5): corrupted labels (rates, modes, only the
 * corrupted rows wrong), noise at hidden units (training only, variance s^2),
 * and label smoothing under 40% symmetric label noise on held-out digits
 * (3 seeds). Default backend (wasm).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train } from "../../../src/training/train";
import { mlp } from "../../../src/models/mlp";
import { oneHot } from "../../../src/data/one-hot";
import { corruptLabels } from "../../../src/regularizers/label-noise";
import { smoothedCrossEntropy } from "../../../src/regularizers/label-smoothing";
import { accuracyOf, digitsParts, disposeParts } from "../../support/digits-split";

test("corruptLabels: about rate of the rows change, exactly those are " +
  "wrong, uniform over the other classes; pairFlip maps c -> c + 1", () => {
  const labels = Int32Array.from({ length: 20000 }, (_, i) => i % 5);
  const c = corruptLabels(labels, 0.3, { seed: 1 });
  assert.ok(Math.abs(c.fraction - 0.3) < 0.015, `fraction ${c.fraction}`);
  const counts = new Array(5).fill(0);
  c.labels.forEach((v, i) => {
    assert.equal(v !== labels[i], c.corrupted[i] === 1);
    if (c.corrupted[i]) counts[(v - labels[i] + 5) % 5]++;
  });
  assert.equal(counts[0], 0);
  counts.slice(1).forEach((n) => assert.ok(Math.abs(n / (c.fraction * 20000) - 0.25) < 0.02, `offsets ${counts}`));
  const p = corruptLabels(labels, 1, { mode: "pairFlip" });
  p.labels.forEach((v, i) => assert.equal(v, (labels[i] + 1) % 5));
  assert.deepEqual(Array.from(corruptLabels(labels, 0.3, { seed: 1 }).labels), Array.from(c.labels), "same seed, same labels");
  assert.throws(() => corruptLabels([0, 1, 7], 0.1, { classes: 5 }), /not below classes/);
  assert.throws(() => corruptLabels([0, 1], 1.5), /rate/);
});

test("mlp hiddenNoise: N(0, s^2) at the hidden units in training only", async () => {
  await useBackend(undefined, { quiet: true });
  seed(3);
  const m = mlp({ inputs: 4, hidden: [8], outputs: 2, hiddenNoise: 0.5, activation: "linear" });
  assert.equal(m.layers[1].getClassName(), "ReglabGaussianNoise");
  const x = tf.ones([4000, 4]);
  tf.tidy(() => {
    const hidden = tf.model({ inputs: m.inputs, outputs: [
      m.layers[0].output as tf.SymbolicTensor, m.layers[1].output as tf.SymbolicTensor
    ] });
    const [clean, noisy] = hidden.apply(x, { training: true }) as tf.Tensor[];
    const v = tf.moments(tf.sub(noisy, clean)).variance.dataSync()[0];
    assert.ok(Math.abs(v - 0.25) < 0.01, `noise variance ${v}`);
    const [c2, n2] = hidden.apply(x, { training: false }) as tf.Tensor[];
    assert.equal(tf.max(tf.abs(tf.sub(c2, n2))).dataSync()[0], 0, "no noise at inference");
  });
  x.dispose();
  m.dispose();
});

test("label smoothing (eps 0.6) beats hard targets under 40% " +
  "symmetric label noise on clean held-out digits, 3 seeds", { timeout: 180_000 }, async () => {
  await useBackend(undefined, { quiet: true });
  const gains: number[] = [];
  for (const s of [1, 2, 3]) {
    const [tr, te] = digitsParts(900 + s, [500, 400]);
    const y = oneHot(corruptLabels(tr.labels, 0.4, { classes: 10, seed: s }).labels, 10);
    const acc: number[] = [];
    for (const eps of [0, 0.6]) {
      seed(s);
      const m = mlp({ inputs: 64, hidden: [64], outputs: 10, outputActivation: "softmax" });
      await train(m, { x: tr.x, y }, {
        epochs: 60, batchSize: 50, optimizer: "adam", learningRate: 0.005, loss: smoothedCrossEntropy(eps), progress: false
      });
      acc.push(tf.tidy(() => accuracyOf(m.predict(te.x) as tf.Tensor, te.labels)));
      m.dispose();
    }
    console.log(`seed ${s}: clean test accuracy hard ${acc[0]}, smoothed ${acc[1]}`);
    // Margins seen: +0.7, +7.9, +4.5 points (seeds 1-3); seed 1's is small, so per seed only "better" is asserted.
    assert.ok(acc[1] > acc[0], `seed ${s}: smoothed ${acc[1]} vs hard ${acc[0]}`);
    gains.push(acc[1] - acc[0]);
    y.dispose();
    disposeParts([tr, te]);
  }
  assert.ok(gains.reduce((a, b) => a + b, 0) / gains.length > 0.02, `gains ${gains}`);
});
