import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed, unseed, rng } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { labelSmoothing, smoothedCrossEntropy, optimalLogitGap } from "../../../src/regularizers/label-smoothing";
import { train } from "../../../src/training/train";

test("labelSmoothing: book eps/(k-1) and 1-eps vs keras y(1-eps)+eps/k", async () => {
  await useBackend("cpu", { quiet: true });
  const y = tf.oneHot(tf.tensor1d([0, 3], "int32"), 4);
  const book = labelSmoothing(y, 0.3).arraySync() as number[][];
  const keras = labelSmoothing(y, 0.3, { convention: "keras" }).arraySync() as number[][];
  const close = (a: number[][], b: number[][]) => a.every((r, i) => r.every((v, j) => Math.abs(v - b[i][j]) < 1e-6));
  assert.ok(close(book, [[0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.7]]));
  assert.ok(close(keras, [[0.775, 0.075, 0.075, 0.075], [0.075, 0.075, 0.075, 0.775]]));
  assert.throws(() => labelSmoothing(y, 1), /\[0, 1\)/);
  assert.throws(() => labelSmoothing(y, 0.1, { convention: "pytorch" as "book" }), /convention/);
  assert.throws(() => smoothedCrossEntropy(0.1)(y, tf.ones([2, 3])), /one-hot/);
  y.dispose();
});

test("smoothedCrossEntropy: keras convention on logits matches tf.losses.softmaxCrossEntropy; probabilities match logits", async () => {
  await useBackend("cpu", { quiet: true });
  seed(3);
  const before = tf.memory().numTensors;
  const logits = tf.randomNormal([16, 5], 0, 3);
  const y = tf.tidy(() => tf.oneHot(tf.randomUniform([16], 0, 5, "int32"), 5));
  const ours = smoothedCrossEntropy(0.2, { fromLogits: true, convention: "keras" })(y, logits);
  const theirs = tf.losses.softmaxCrossEntropy(y, logits, undefined, 0.2);
  assert.ok(Math.abs(ours.dataSync()[0] - theirs.dataSync()[0]) < 1e-5);
  const probs = tf.softmax(logits);
  const a = smoothedCrossEntropy(0.1)(y, probs);
  const b = smoothedCrossEntropy(0.1, { fromLogits: true })(y, logits);
  assert.ok(Math.abs(a.dataSync()[0] - b.dataSync()[0]) < 1e-4);
  const hard = smoothedCrossEntropy(0)(y, probs);
  const cce = tf.tidy(() => tf.mean(tf.metrics.categoricalCrossentropy(y, probs)));
  assert.ok(Math.abs(hard.dataSync()[0] - cce.dataSync()[0]) < 1e-5);
  tf.dispose([logits, y, ours, theirs, probs, a, b, hard, cce]);
  assert.equal(tf.memory().numTensors, before);
  unseed();
});

/** Train a free logit vector z (k = 10, target class 0) on the smoothed loss; return z_0 - z_j. */
function trainedGaps(eps: number, convention: "book" | "keras"): number[] {
  const z = tf.variable(tf.zeros([1, 10]));
  const y = tf.oneHot(tf.tensor1d([0], "int32"), 10);
  const loss = smoothedCrossEntropy(eps, { fromLogits: true, convention });
  const opt = tf.train.adam(0.1);
  for (let t = 0; t < 600; t++) opt.minimize(() => loss(y, z), false, [z]);
  const v = z.dataSync();
  const gaps = Array.from(v.slice(1), (zj) => v[0] - zj);
  tf.dispose([z, y]);
  opt.dispose();
  return gaps;
}

test("k = 10, eps = 0.1: the optimal logit gap is ln 81 (book) and ln 91 (keras)", async () => {
  await useBackend("cpu", { quiet: true });
  const book = trainedGaps(0.1, "book");
  for (const g of book) assert.ok(Math.abs(g - Math.log(81)) < 0.01, `book gap ${g} vs ${Math.log(81)}`);
  const keras = trainedGaps(0.1, "keras");
  for (const g of keras) assert.ok(Math.abs(g - Math.log(0.91 / 0.01)) < 0.01, `keras gap ${g}`);
  assert.ok(Math.abs(optimalLogitGap(10, 0.1) - Math.log(0.9 / (0.1 / 9))) < 1e-12);
  assert.ok(Math.abs(optimalLogitGap(10, 0.1, "keras") - Math.log(91)) < 1e-12);
});

/** Norm of the weights of softmax regression on separable data after each of `epochs` epochs of `train`. */
async function weightNorms(eps: number, s: number): Promise<number[]> {
  seed(s);
  const r = rng();
  const n = 64;
  const xs: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    xs.push([r.normal(c ? 2 : -2, 0.5), r.normal(0, 0.5)]);
    labels.push(c);
  }
  const x = tf.tensor2d(xs);
  const y = tf.oneHot(tf.tensor1d(labels, "int32"), 2);
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: "softmax" })] });
  const norms: number[] = [];
  const normCb = {
    onEpochEnd: async () => {
      norms.push(tf.tidy(() => tf.norm(model.layers[0].getWeights()[0]).dataSync()[0]));
    },
  };
  await train(model, { x, y }, {
    epochs: 300, batchSize: n, optimizer: "sgd", learningRate: 1, loss: smoothedCrossEntropy(eps), callbacks: normCb, progress: false
  });
  tf.dispose([x, y]);
  model.dispose();
  return norms;
}

test("separable data: weights keep growing with hard targets and stop growing with smoothing (train, 3 seeds)", async () => {
  await useBackend("cpu", { quiet: true });
  for (const s of [1, 2, 3]) {
    const hard = await weightNorms(0, s);
    const smooth = await weightNorms(0.1, s);
    const [h1, h2] = [hard[149], hard[299]];
    const [s1, s2] = [smooth[149], smooth[299]];
    assert.ok(h2 - h1 > 0.1, `seed ${s}: hard-target norm ${h1} -> ${h2} should keep growing`);
    assert.ok(Math.abs(s2 - s1) < 0.01 * s1, `seed ${s}: smoothed norm ${s1} -> ${s2} should have stopped`);
    assert.ok(h2 > s2);
  }
  unseed();
});
