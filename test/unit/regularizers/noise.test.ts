import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed, unseed, rng } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { gaussianNoise, gaussianNoiseLayer, GaussianNoiseLayer, weightNoise } from "../../../src/regularizers/noise";
import { train, evaluateModel } from "../../../src/training/train";

/** Solve A z = r for a small symmetric positive definite A (Gaussian elimination, float64). */
function solve(A: number[][], r: number[]): number[] {
  const n = r.length;
  const M = A.map((row, i) => [...row, r[i]]);
  for (let c = 0; c < n; c++) {
    for (let i = c + 1; i < n; i++) {
      const f = M[i][c] / M[c][c];
      for (let j = c; j <= n; j++) M[i][j] -= f * M[c][j];
    }
  }
  const z = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = M[i][n];
    for (let j = i + 1; j < n; j++) s -= M[i][j] * z[j];
    z[i] = s / M[i][i];
  }
  return z;
}

/** Ridge with unpenalized intercept: min sum (w^T x + b - y)^2 + alpha ||w||^2. */
function ridge(X: number[][], y: number[], alpha: number): number[] {
  const n = X.length;
  const d = X[0].length;
  const xm = Array.from({ length: d }, (_, j) => X.reduce((s, r) => s + r[j], 0) / n);
  const ym = y.reduce((a, c) => a + c, 0) / n;
  const A = Array.from({ length: d }, (_, i) =>
    Array.from({ length: d }, (_, j) => X.reduce((s, r) => s + (r[i] - xm[i]) * (r[j] - xm[j]), 0) + (i === j ? alpha : 0)),
  );
  const rhs = Array.from({ length: d }, (_, i) => X.reduce((s, r, k) => s + (r[i] - xm[i]) * (y[k] - ym), 0));
  return solve(A, rhs);
}

const dist = (a: number[], b: number[]) => Math.sqrt(a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0));

test("Bishop: linear regression with N(0, s^2) input noise lands on ridge with alpha = n s^2 (sum form) / s^2 (mean form)", async () => {
  await useBackend("cpu", { quiet: true });
  const n = 40;
  const d = 3;
  const sigma = 0.5;
  const replicas = 25; // noise draws per step, to make each gradient less noisy
  for (const s of [1, 2, 3]) {
    seed(s);
    const r = rng(100 + s);
    const X = Array.from({ length: n }, () => Array.from({ length: d }, () => r.normal()));
    const y = X.map((row) => 2 * row[0] - 1 * row[1] + 0.5 * row[2] + 0.3 + r.normal(0, 0.1));
    const wRidge = ridge(X, y, n * sigma * sigma);
    const wOls = ridge(X, y, 0);
    const wWrong = ridge(X, y, sigma * sigma); // the sum-form objective with alpha = s^2: almost OLS
    const before = tf.memory().numTensors;
    const xs = tf.tidy(() => tf.tile(tf.tensor2d(X), [replicas, 1]));
    const ys = tf.tidy(() => tf.tile(tf.tensor2d(y, [n, 1]), [replicas, 1]));
    const w = tf.tidy(() => tf.variable(tf.zeros([d, 1])));
    const b = tf.tidy(() => tf.variable(tf.zeros([1])));
    const opt = tf.train.sgd(0.05);
    const avg = new Float64Array(d);
    const steps = 1500;
    const burn = 500;
    for (let t = 0; t < steps; t++) {
      opt.minimize(() => tf.losses.meanSquaredError(ys, tf.matMul(gaussianNoise(xs, sigma), w).add(b)) as tf.Scalar, false, [w, b]);
      if (t >= burn) {
        const v = w.dataSync();
        for (let j = 0; j < d; j++) avg[j] += v[j] / (steps - burn);
      }
    }
    const wNoisy = Array.from(avg);
    const gap = dist(wOls, wRidge);
    assert.ok(gap > 0.3, `the test needs visible shrinkage (gap ${gap})`);
    assert.ok(dist(wNoisy, wRidge) < 0.1 * gap, `seed ${s}: noisy ${wNoisy} vs ridge ${wRidge} (OLS ${wOls})`);
    assert.ok(dist(wNoisy, wWrong) > 0.5 * gap);
    tf.dispose([xs, ys, w, b]);
    opt.dispose();
    assert.equal(tf.memory().numTensors, before);
  }
  unseed();
});

test("gaussianNoiseLayer: noise only in training, std as asked, reproducible after seed, serializable", async () => {
  await useBackend("cpu", { quiet: true });
  const layer = gaussianNoiseLayer({ stddev: 0.3, inputShape: [1000] });
  const x = tf.ones([4, 1000]);
  const same = layer.apply(x) as tf.Tensor;
  assert.deepEqual(same.arraySync(), x.arraySync());
  seed(9);
  const a = layer.apply(x, { training: true }) as tf.Tensor;
  const a2 = layer.apply(x, { training: true }) as tf.Tensor;
  seed(9);
  const b = layer.apply(x, { training: true }) as tf.Tensor;
  assert.deepEqual(a.arraySync(), b.arraySync());
  assert.notDeepEqual(a.arraySync(), a2.arraySync());
  const { mean, variance } = tf.moments(a.sub(x));
  assert.ok(Math.abs(mean.dataSync()[0]) < 0.02);
  assert.ok(Math.abs(Math.sqrt(variance.dataSync()[0]) - 0.3) < 0.015);
  const model = tf.sequential({ layers: [layer, tf.layers.dense({ units: 1 })] });
  const restored = await tf.models.modelFromJSON({ modelTopology: model.toJSON(undefined, false) as tf.io.ModelJSON["modelTopology"] });
  assert.equal((restored.layers[0] as GaussianNoiseLayer).stddev, 0.3);
  assert.throws(() => gaussianNoise(x, -1), />= 0/);
  tf.dispose([x, same, a, a2, b, mean, variance]);
  model.dispose();
  restored.dispose();
  unseed();
});

test("weightNoise in fit: 'restore' removes the noise exactly after each step, 'persist' random-walks", async () => {
  await useBackend("cpu", { quiet: true });
  seed(5);
  const make = () => {
    const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 50 })] });
    m.compile({ optimizer: tf.train.sgd(0), loss: "meanSquaredError" });
    return m;
  };
  const x = tf.randomNormal([16, 3]);
  const y = tf.randomNormal([16, 50]);
  const m = make();
  const w0 = m.getWeights()[0].arraySync() as number[][];
  const wn = weightNoise({ stddev: 0.1 });
  const h = await m.fit(x, y, { epochs: 5, batchSize: 4, verbose: 0, callbacks: wn });
  assert.equal(wn.perturbedSteps, 20);
  const w1 = m.getWeights()[0].arraySync() as number[][];
  const maxDiff = Math.max(...w0.flatMap((r, i) => r.map((v, j) => Math.abs(v - w1[i][j]))));
  assert.ok(maxDiff < 1e-6, `lr 0 + restore must leave weights unchanged, moved ${maxDiff}`);
  // The loss was computed at perturbed weights, so it differs from the clean loss.
  const clean = m.evaluate(x, y) as tf.Scalar;
  assert.notEqual((h.history.loss[4] as number).toFixed(6), clean.dataSync()[0].toFixed(6));
  const p = make();
  const p0 = p.getWeights()[0].arraySync() as number[][];
  await p.fit(x, y, { epochs: 25, batchSize: 4, verbose: 0, callbacks: weightNoise({ stddev: 0.1, mode: "persist" }) });
  const p1 = p.getWeights()[0].arraySync() as number[][];
  const deltas = p0.flatMap((r, i) => r.map((v, j) => p1[i][j] - v));
  const sd = Math.sqrt(deltas.reduce((s, v) => s + v * v, 0) / deltas.length);
  // 100 steps of N(0, 0.01): sd = 0.1 * sqrt(100) = 1; 150 draws -> ~6% sampling error.
  assert.ok(Math.abs(sd - 1) < 0.2, `random-walk sd ${sd}`);
  assert.throws(() => weightNoise({ stddev: 0.1 }).perturb(), /no variables/);
  tf.dispose([x, y, clean]);
  m.dispose();
  p.dispose();
  unseed();
});

test("weightNoise with train: noise on every step, clean weights for validation and at the end", async () => {
  await useBackend("cpu", { quiet: true });
  seed(6);
  const m = tf.sequential({ layers: [tf.layers.dense({ inputShape: [3], units: 20 })] });
  const x = tf.randomNormal([12, 3]);
  const y = tf.randomNormal([12, 20]);
  const w0 = m.getWeights().map((w) => Array.from(w.dataSync()));
  const before = tf.memory().numTensors;
  const wn = weightNoise({ stddev: 0.2 });
  const opt = tf.train.sgd(0); // no update: only the noise could move the weights
  const h = await train(m, { x, y }, {
    epochs: 3,
    batchSize: 4,
    optimizer: opt,
    loss: "mse",
    validationData: { x, y },
    callbacks: wn,
    progress: false,
  });
  assert.equal(wn.perturbedSteps, 9, "one perturbation per step");
  const w1 = m.getWeights().map((w) => Array.from(w.dataSync()));
  w0.forEach((arr, i) => arr.forEach((v, j) => assert.ok(Math.abs(v - w1[i][j]) < 1e-6)));
  const clean = (await evaluateModel(m, { x, y }, { loss: "mse" })).loss;
  const val = h.metrics.val_loss;
  const tr = h.metrics.loss;
  val.forEach((v) => assert.ok(Math.abs(v - clean) < 1e-5, `val_loss ${v} must be the clean loss ${clean}`));
  // The training loss is measured at perturbed weights: larger on average.
  assert.ok(tr.every((l) => l > clean), `train losses ${tr} vs clean ${clean}`);
  opt.dispose();
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([x, y]);
  m.dispose();
  unseed();
});
