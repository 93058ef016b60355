/**
 * Batch normalization: the from-scratch unit against the formula (computed
 * here in JS), tfjs' layer trained by `train` against tfjs `fit` and against
 * the from-scratch unit in a parameter set (weights AND moving statistics),
 * inference with the moving statistics, the batch-noise and dropout-variance
 * helpers against their closed forms. Default backend (wasm).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed, rng } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train } from "../../../src/training/train";
import { batchNorm, batchStatisticsNoise, dropoutVarianceShift, measureDropoutVarianceShift } from "../../../src/regularizers/batch-norm";
import type { ParamSet } from "../../../src/training/types";
import { digitsParts, disposeParts } from "../../support/digits-split";

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

test("from-scratch batchNorm: training output, moving-statistics update and inference follow the stated formulas", async () => {
  await useBackend(undefined, { quiet: true });
  const r = rng(4);
  const [m, d] = [8, 3];
  const X = Array.from({ length: m }, () => Array.from({ length: d }, () => r.normal(2, 3)));
  const bn = batchNorm({ units: d, momentum: 0.9, epsilon: 1e-3 });
  bn.gamma.assign(tf.tensor1d([1.5, 0.5, -1]));
  bn.beta.assign(tf.tensor1d([0.1, 0, 2]));
  const x = tf.tensor2d(X);
  const before = tf.memory().numTensors;
  const y = tf.tidy(() => bn.apply(x, true).arraySync() as number[][]);
  const yInf = tf.tidy(() => bn.apply(x, false).arraySync() as number[][]);
  assert.equal(tf.memory().numTensors, before, "apply leaks nothing (moving statistics replaced in place)");
  const g = [1.5, 0.5, -1];
  const b = [0.1, 0, 2];
  for (let j = 0; j < d; j++) {
    const mu = X.reduce((s, row) => s + row[j], 0) / m;
    const v = X.reduce((s, row) => s + (row[j] - mu) ** 2, 0) / m;
    X.forEach((row, i) => assert.ok(Math.abs(y[i][j] - (g[j] * (row[j] - mu)) / Math.sqrt(v + 1e-3) - b[j]) < 1e-4));
    const mm = 0.1 * mu;
    const mv = 0.9 + 0.1 * v;
    assert.ok(Math.abs(bn.movingMean.dataSync()[j] - mm) < 1e-5);
    assert.ok(Math.abs(bn.movingVariance.dataSync()[j] - mv) < 1e-4);
    X.forEach((row, i) => assert.ok(Math.abs(yInf[i][j] - (g[j] * (row[j] - mm)) / Math.sqrt(mv + 1e-3) - b[j]) < 1e-4));
  }
  const unbiased = batchNorm({ units: d, momentum: 0, unbiasedMovingVariance: true });
  tf.dispose(unbiased.apply(x, true));
  const v0 = X.reduce((s, row) => s + (row[0] - X.reduce((t, q) => t + q[0], 0) / m) ** 2, 0) / (m - 1);
  assert.ok(Math.abs(unbiased.movingVariance.dataSync()[0] - v0) < 1e-4 * v0, "PyTorch's unbiased moving variance");
  assert.throws(() => batchNorm({ units: 3, momentum: 1 }), /momentum/);
  assert.throws(() => bn.apply(tf.zeros([2, 4]), true), /3 features/);
  tf.dispose(x);
  bn.dispose();
  unbiased.dispose();
});

test("tf.layers.batchNormalization trained by train = tfjs fit = the " +
  "from-scratch unit: weights and moving statistics; predict uses them", { timeout: 60_000 }, async () => {
  await useBackend(undefined, { quiet: true });
  const [tr, te] = digitsParts(8, [256, 64]);
  seed(8);
  const build = () =>
    tf.sequential({
      layers: [
        tf.layers.dense({ units: 16, inputShape: [64], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.batchNormalization({ momentum: 0.9 }),
        tf.layers.activation({ activation: "relu" }),
        tf.layers.dense({ units: 10, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ],
    });
  const a = build();
  const b = build();
  b.setWeights(a.getWeights());
  const init = a.getWeights().map((w) => w.clone());
  const settings = { epochs: 4, batchSize: 32, lr: 0.1 };
  const optA = tf.train.sgd(settings.lr);
  await train(a, tr, {
    epochs: settings.epochs, batchSize: settings.batchSize, optimizer: optA, loss: "categoricalCrossentropy", shuffle: false,
    progress: false
  });
  b.compile({ optimizer: tf.train.sgd(settings.lr), loss: "categoricalCrossentropy" });
  await b.fit(tr.x, tr.y, { epochs: settings.epochs, batchSize: settings.batchSize, shuffle: false, verbose: 0 });
  const bnLayer = a.layers[1];
  const mvA = bnLayer.getWeights().map((w) => w.dataSync()); // gamma, beta, moving mean, moving variance
  assert.ok(maxAbsDiff(mvA[2], new Float32Array(16)) > 1e-2, "moving mean moved away from 0 in training");
  // getWeights: trainable first (k1, b1, gamma, beta, k2, b2), then moving mean, moving variance.
  a.getWeights().forEach((w, i) => {
    const diff = maxAbsDiff(w.dataSync(), b.getWeights()[i].dataSync());
    assert.ok(diff < 1e-4, `${a.weights[i].name}: train vs fit differ by ${diff}`);
  });

  // From scratch: the same network as a parameter set.
  const [k1, b1, , , k2, b2] = init;
  const v = [k1, b1, k2, b2].map((t) => tf.variable(t.clone()));
  const bn = batchNorm({ units: 16, momentum: 0.9 });
  const ps: ParamSet = {
    params: [v[0], v[1], ...bn.params, v[2], v[3]],
    predict: (x, training) => tf.softmax(tf.add(tf.matMul(tf.relu(bn.apply(tf.add(tf.matMul(x, v[0]), v[1]), training)), v[2]), v[3])),
  };
  const optC = tf.train.sgd(settings.lr);
  await train(ps, tr, {
    epochs: settings.epochs, batchSize: settings.batchSize, optimizer: optC, loss: "categoricalCrossentropy", shuffle: false,
    progress: false
  });
  const layerW = a.getWeights();
  const pairs: Array<[tf.Tensor, tf.Tensor, string]> = [
    [v[0], layerW[0], "kernel 1"], [v[1], layerW[1], "bias 1"], [bn.gamma, layerW[2], "gamma"], [bn.beta, layerW[3], "beta"],
    [v[2], layerW[4], "kernel 2"], [v[3], layerW[5], "bias 2"], [bn.movingMean, layerW[6], "moving mean"],
    [bn.movingVariance, layerW[7], "moving variance"],
  ];
  for (const [ours, theirs, what] of pairs) {
    const diff = maxAbsDiff(ours.dataSync(), theirs.dataSync());
    assert.ok(diff < 1e-4, `${what}: from scratch vs tfjs layer differ by ${diff}`);
  }
  // Inference: predict = the formula with the moving statistics, not the batch's.
  const pa = tf.tidy(() => (a.predict(te.x) as tf.Tensor).dataSync());
  const pc = tf.tidy(() => (ps.predict(te.x, false) as tf.Tensor).dataSync());
  assert.ok(maxAbsDiff(pa, pc) < 1e-4);
  const pBatch = tf.tidy(() => (a.apply(te.x.slice(0, 8), { training: false }) as tf.Tensor).dataSync());
  const pOne = tf.tidy(() => (a.predict(te.x.slice(0, 1)) as tf.Tensor).dataSync());
  assert.ok(maxAbsDiff(pBatch.slice(0, 10), pOne) < 1e-5, "inference output of a row does not depend on the batch");
  tf.dispose([...init, ...v]);
  optA.dispose();
  optC.dispose();
  bn.dispose();
  a.dispose();
  b.dispose();
  disposeParts([tr, te]);
});

test("batch-statistics noise: std of the batch mean = sigma / sqrt(m) (within sampling error), falling with m", async () => {
  await useBackend(undefined, { quiet: true });
  seed(12);
  const [part] = digitsParts(12, [1000]);
  const rows = batchStatisticsNoise(part.x, [4, 16, 64], { trials: 400 });
  for (const r of rows) {
    const rel = Math.abs(r.meanStd - r.predictedMeanStd) / r.predictedMeanStd;
    assert.ok(rel < 0.1, `m = ${r.batchSize}: ${r.meanStd} vs sigma/sqrt(m) ${r.predictedMeanStd}`);
  }
  assert.ok(rows[0].meanStd > 1.8 * rows[1].meanStd && rows[1].meanStd > 1.8 * rows[2].meanStd);
  assert.ok(rows[0].varianceStd > rows[1].varianceStd && rows[1].varianceStd > rows[2].varianceStd);
  disposeParts([part]);
});

test("dropout before BN: training variance (sigma^2 + mu^2)/p - mu^2 " +
  "measured on tf.dropout matches the closed form (Li et al. 2019)", async () => {
  await useBackend(undefined, { quiet: true });
  seed(13);
  const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal([20000, 4]), 2), 1.5)) as tf.Tensor2D;
  const closed = dropoutVarianceShift({ keep: 0.5, mean: 1.5, variance: 4 });
  assert.ok(Math.abs(closed.train - ((4 + 2.25) / 0.5 - 2.25)) < 1e-12);
  const m = measureDropoutVarianceShift(x, 0.5);
  assert.ok(Math.abs(m.train - m.predictedTrain) / m.predictedTrain < 0.03, `measured ${m.train}, predicted ${m.predictedTrain}`);
  assert.ok(Math.abs(m.train - closed.train) / closed.train < 0.05);
  assert.ok(m.train > 2 * m.inference, "training variance is larger than inference variance");
  assert.throws(() => dropoutVarianceShift({ keep: 0, mean: 0, variance: 1 }), /keep/);
  x.dispose();
});
