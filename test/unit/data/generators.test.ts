import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { twoMoons } from "../../../src/data/two-moons";
import { circles } from "../../../src/data/circles";
import { spirals } from "../../../src/data/spirals";
import { xor } from "../../../src/data/xor";
import { blobs } from "../../../src/data/blobs";
import { regularizationExercise } from "../../../src/data/regularization-exercise";
import { d2lLinear } from "../../../src/data/d2l-linear";
import { polynomial } from "../../../src/data/polynomial";
import { loadDigits } from "../../../src/data/digits";
import { trainTestSplit } from "../../../src/data/split";
import { standardize } from "../../../src/data/standardize";
import { oneHot } from "../../../src/data/one-hot";
import { batchIndices } from "../../../src/data/batches";
import type { LabeledData } from "../../../src/data/types";

const gens: Record<string, (o: { n?: number; noise?: number; seed?: number }) => LabeledData> = { twoMoons, circles, spirals, xor, blobs };

function dispose(d: LabeledData): void {
  d.x.dispose();
  d.y.dispose();
}

test("2-D generators: shapes, tensors match arrays, reproducible by seed option and by global seed, different across seeds", async () => {
  await useBackend("cpu", { quiet: true });
  for (const [name, g] of Object.entries(gens)) {
    const a = g({ n: 50, seed: 1 });
    const b = g({ n: 50, seed: 1 });
    const c = g({ n: 50, seed: 2 });
    assert.deepEqual(a.x.shape, [50, 2], name);
    assert.deepEqual(a.y.shape, [50, 1], name);
    assert.deepEqual(Array.from(a.x.dataSync()), Array.from(Float32Array.from(a.points.flat())), `${name}: x = points`);
    assert.deepEqual(Array.from(a.y.dataSync()), a.labels, `${name}: y = labels`);
    assert.deepEqual(a.points, b.points, `${name}: same seed`);
    assert.notDeepEqual(a.points, c.points, `${name}: different seeds`);
    seed(7);
    const d = g({ n: 20 });
    seed(7);
    const e = g({ n: 20 });
    assert.deepEqual(d.points, e.points, `${name}: global seed`);
    const f = g({ n: 20 });
    assert.notDeepEqual(d.points, f.points, `${name}: the stream moves on`);
    [a, b, c, d, e, f].forEach(dispose);
  }
});

test("generator geometry matches the definitions", () => {
  const m = twoMoons({ n: 400, noise: 0, seed: 3 });
  m.points.forEach((p, i) => {
    const r = m.labels[i] === 0 ? Math.hypot(p[0], p[1]) : Math.hypot(p[0] - 1, p[1] - 0.5);
    assert.ok(Math.abs(r - 1) < 1e-9);
  });
  const c = circles({ n: 200, noise: 0, factor: 0.3, seed: 3 });
  c.points.forEach((p, i) => assert.ok(Math.abs(Math.hypot(p[0], p[1]) - (c.labels[i] === 0 ? 1 : 0.3)) < 1e-9));
  const x = xor({ n: 300, noise: 0, seed: 3 });
  x.points.forEach((p, i) => assert.equal(x.labels[i], p[0] * p[1] > 0 ? 1 : 0));
  const s = spirals({ n: 90, classes: 3, noise: 0, seed: 3 });
  assert.deepEqual([0, 1, 2].map((k) => s.labels.filter((l) => l === k).length), [30, 30, 30]);
  const b = blobs({ n: 3000, centers: [[0, 0], [10, -10]], std: 0.5, seed: 3 });
  const mean0 = b.points.filter((_, i) => b.labels[i] === 1).reduce((a, p) => [a[0] + p[0] / 1500, a[1] + p[1] / 1500], [0, 0]);
  assert.ok(Math.abs(mean0[0] - 10) < 0.1 && Math.abs(mean0[1] + 10) < 0.1);
  [m, c, x, s, b].forEach(dispose);
});

test("regularizationExercise: 211 / 200 points in the blob, both classes present, reproducible", () => {
  const a = regularizationExercise({ seed: 5 });
  const b = regularizationExercise({ seed: 5 });
  assert.deepEqual(a.train.x.shape, [211, 2]);
  assert.deepEqual(a.test.x.shape, [200, 2]);
  assert.deepEqual(a.train.points, b.train.points);
  for (const part of [a.train, a.test]) {
    const ones = part.labels.reduce((s, v) => s + v, 0);
    assert.ok(ones > 0.25 * part.labels.length && ones < 0.75 * part.labels.length, `balance ${ones}`);
    part.points.forEach(([u, v]) => assert.ok(u >= -0.75 && u <= 0.6 && v >= -0.75 && v <= 0.75));
  }
  [a.train, a.test, b.train, b.test].forEach(dispose);
});

test("d2lLinear follows y = 0.05 + sum 0.01 x_i + N(0, 0.01^2): residuals of the true model have std ~0.01", () => {
  const d = d2lLinear({ seed: 1, nTest: 500 });
  assert.deepEqual(d.train.x.shape, [20, 200]);
  assert.deepEqual(d.test.x.shape, [500, 200]);
  const resid = tf.tidy(() => tf.sub(d.test.y, tf.add(tf.matMul(d.test.x, tf.tensor2d(d.w, [200, 1])), d.b)).dataSync());
  const std = Math.sqrt(Array.from(resid).reduce((s, v) => s + v * v, 0) / resid.length);
  assert.ok(std > 0.008 && std < 0.012, `std ${std}`);
  [d.train.x, d.train.y, d.test.x, d.test.y].forEach((t) => t.dispose());
});

test("polynomial features are x^i / i! and y follows the coefficients", () => {
  const p = polynomial({ n: 30, noise: 0, seed: 2, maxDegree: 6 });
  const f = p.features.arraySync();
  p.xs.forEach((x, i) => {
    let fact = 1;
    for (let k = 0; k < 6; k++) {
      if (k > 0) fact *= k;
      assert.ok(Math.abs(f[i][k] - x ** k / fact) < 1e-4 * Math.max(1, Math.abs(x ** k / fact)));
    }
    const y = 5 + 1.2 * x - (3.4 * x * x) / 2 + (5.6 * x ** 3) / 6;
    assert.ok(Math.abs(p.ys[i] - y) < 1e-9);
  });
  [p.x, p.features, p.y].forEach((t) => t.dispose());
});

test("loadDigits reads the shipped UCI file: 1797 x 64, values 0-16, ten classes", () => {
  const d = loadDigits();
  assert.deepEqual(d.x.shape, [1797, 64]);
  assert.equal(d.n, 1797);
  assert.equal(Math.max(...d.images), 16);
  assert.equal(Math.min(...d.images), 0);
  const counts = new Array(10).fill(0);
  d.labels.forEach((l) => counts[l]++);
  assert.ok(counts.every((c) => c >= 170 && c <= 185), `${counts}`);
  const s = loadDigits({ scale: true, oneHot: true });
  assert.deepEqual(s.y.shape, [1797, 10]);
  assert.ok(Math.abs(s.x.max().dataSync()[0] - 1) < 1e-7);
  [d.x, d.y, s.x, s.y].forEach((t) => t.dispose());
});

test("split, standardize (train statistics only), oneHot, batches", () => {
  const g = blobs({ n: 100, centers: 2, seed: 9 });
  const sp = trainTestSplit(g, { testFraction: 0.3, seed: 1 });
  assert.equal(sp.testIndex.length, 30);
  assert.deepEqual([...sp.trainIndex, ...sp.testIndex].sort((a, b) => a - b), Array.from({ length: 100 }, (_, i) => i));
  assert.deepEqual(trainTestSplit(g, { testFraction: 0.3, seed: 1 }).testIndex, sp.testIndex);
  const strat = trainTestSplit(g, { testFraction: 0.2, seed: 1, stratify: g.labels });
  assert.equal(strat.testIndex.filter((i) => g.labels[i] === 0).length, 10);
  const st = standardize(sp.train.x, sp.test.x);
  const m = tf.tidy(() => tf.moments(st.train, 0));
  Array.from(m.mean.dataSync()).forEach((v) => assert.ok(Math.abs(v) < 1e-5));
  Array.from(m.variance.dataSync()).forEach((v) => assert.ok(Math.abs(v - 1) < 1e-4));
  // The test set uses the training mean: its own mean is generally not 0.
  const testMean = tf.tidy(() => tf.mean(st.others[0], 0).dataSync());
  const expected = tf.tidy(() => tf.div(tf.sub(tf.mean(sp.test.x, 0), st.scaler.mean), st.scaler.std).dataSync());
  Array.from(testMean).forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-5));
  const oh = oneHot([2, 0, 1]);
  assert.deepEqual(oh.arraySync(), [[0, 0, 1], [1, 0, 0], [0, 1, 0]]);
  const bi = batchIndices(10, 4, { seed: 3 });
  assert.deepEqual(bi.map((b) => b.length), [4, 4, 2]);
  assert.deepEqual(bi.flat().sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i));
  assert.deepEqual(batchIndices(10, 4, { seed: 3 }), bi);
  assert.deepEqual(batchIndices(5, 2, { shuffle: false }), [[0, 1], [2, 3], [4]]);
  [
    m.mean, m.variance, st.train, ...st.others, oh, sp.train.x, sp.train.y, sp.test.x, sp.test.y,
    strat.train.x, strat.train.y, strat.test.x, strat.test.y, g.x, g.y,
  ].forEach((t) => t.dispose());
  st.scaler.dispose();
  assert.throws(() => twoMoons({ n: -3 }), /twoMoons: n must be a positive integer/);
});
