/**
 * The regularizers have the effect the book claims, on small problems
 * where overfitting happens, on every one of five seeds (data, init,
 * minibatch order and noise draws all change with the seed):
 *
 * - dropout 0.5 (7.12): a smaller test - train loss gap than no dropout,
 *   for an over-parameterized MLP on 30 noisy two-moons points;
 * - early stopping with patience and restored best weights (7.8): a test
 *   loss no worse than training to the end;
 * - Gaussian input noise (7.5, Bishop 1995): on the 200-feature, 20-row
 *   linear regression, a smaller weight norm (ridge-like shrinkage) and a
 *   smaller train-test gap;
 * - weight noise (7.5.1): a smaller gap and a smaller kernel norm.
 *
 * Losses are computed here from the model's predictions (not with the
 * library's evaluation). Bounds are comparisons between runs, never numbers
 * taken from the code under test.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train } from "../../../src/training/train";
import { earlyStopping } from "../../../src/training/early-stopping";
import { mlp } from "../../../src/models/mlp";
import { twoMoons } from "../../../src/data/two-moons";
import { d2lLinear } from "../../../src/data/d2l-linear";
import { gaussianNoiseLayer, weightNoise } from "../../../src/regularizers/noise";

const SEEDS = [1, 2, 3, 4, 5];

interface XY {
  x: tf.Tensor;
  y: tf.Tensor;
}

/** Mean binary cross-entropy -[y log p + (1-y) log(1-p)], p clipped to [1e-7, 1-1e-7]. */
function bce(m: tf.LayersModel, d: XY): number {
  return tf.tidy(() => {
    const p = tf.clipByValue(m.predict(d.x) as tf.Tensor, 1e-7, 1 - 1e-7);
    const l = tf.add(tf.mul(d.y, tf.log(p)), tf.mul(tf.sub(1, d.y), tf.log(tf.sub(1, p))));
    return -tf.mean(l).dataSync()[0];
  });
}

/** Mean squared error. */
function mse(m: tf.LayersModel, d: XY): number {
  return tf.tidy(() => tf.mean(tf.square(tf.sub(m.predict(d.x) as tf.Tensor, d.y))).dataSync()[0]);
}

/** Euclidean norm of all dense kernels (biases excluded). */
function kernelNorm(m: tf.LayersModel): number {
  return tf.tidy(() => Math.sqrt(m.trainableWeights.filter((w) => w.name.includes("kernel")).reduce(
    (s, w) => s + tf.sum(tf.square(w.read())).dataSync()[0], 0
  )));
}

function disposeAll(...sets: XY[]): void {
  for (const d of sets) tf.dispose([d.x, d.y]);
}

const quiet = { progress: false as const };

test("dropout 0.5 gives a smaller test - train loss gap than no dropout", { timeout: 60_000 }, async () => {
  await useBackend("wasm", { quiet: true });
  for (const s of SEEDS) {
    const tr = twoMoons({ n: 30, noise: 0.3, seed: 100 + s });
    const te = twoMoons({ n: 500, noise: 0.3, seed: 200 + s });
    const gaps: number[] = [];
    for (const rate of [0, 0.5]) {
      seed(s);
      const m = mlp({ inputs: 2, hidden: [128, 128], outputs: 1, outputActivation: "sigmoid", dropout: rate });
      await train(m, tr, { epochs: 400, batchSize: 30, optimizer: "adam", learningRate: 0.005, loss: "binaryCrossentropy", ...quiet });
      gaps.push(bce(m, te) - bce(m, tr));
      m.dispose();
    }
    assert.ok(gaps[0] > 0.3, `seed ${s}: without dropout the model overfits (gap ${gaps[0]})`);
    assert.ok(gaps[1] < gaps[0], `seed ${s}: gap with dropout ${gaps[1]} vs without ${gaps[0]}`);
    disposeAll(tr, te);
  }
});

test("early stopping (patience 20, best weights restored) " +
  "gives a test loss no worse than training to the end", { timeout: 60_000 }, async () => {
  await useBackend("wasm", { quiet: true });
  for (const s of SEEDS) {
    const tr = twoMoons({ n: 40, noise: 0.35, seed: 100 + s });
    const va = twoMoons({ n: 100, noise: 0.35, seed: 300 + s });
    const te = twoMoons({ n: 500, noise: 0.35, seed: 200 + s });
    const results: Array<{ test: number; epochs: number }> = [];
    for (const stop of [false, true]) {
      seed(s);
      const m = mlp({ inputs: 2, hidden: [64, 64], outputs: 1, outputActivation: "sigmoid" });
      const es = earlyStopping({ patience: 20, restoreBestWeights: true });
      const h = await train(m, tr, {
        epochs: 300,
        batchSize: 40,
        optimizer: "adam",
        learningRate: 0.01,
        loss: "binaryCrossentropy",
        validationData: va,
        callbacks: stop ? [es] : [],
        ...quiet,
      });
      if (stop) assert.ok(es.restoredBest, `seed ${s}: best weights restored`);
      results.push({ test: bce(m, te), epochs: h.metrics.loss.length });
      m.dispose();
    }
    const [full, stopped] = results;
    assert.equal(full.epochs, 300);
    assert.ok(stopped.epochs < 300, `seed ${s}: stopped after ${stopped.epochs} epochs`);
    assert.ok(stopped.test <= full.test, `seed ${s}: test loss with early stopping ${stopped.test} vs trained to the end ${full.test}`);
    disposeAll(tr, va, te);
  }
});

test("Gaussian input noise shrinks the weights and the " +
  "train-test gap (linear regression, d = 200, n = 20)", { timeout: 60_000 }, async () => {
  await useBackend("wasm", { quiet: true });
  for (const s of SEEDS) {
    const d = d2lLinear({ seed: 100 + s });
    const runs: Array<{ gap: number; norm: number }> = [];
    for (const stddev of [0, 0.5]) {
      seed(s);
      const m = tf.sequential();
      if (stddev > 0) m.add(gaussianNoiseLayer({ stddev, inputShape: [200] }));
      m.add(tf.layers.dense({
        units: 1, ...(stddev > 0 ? {} : { inputShape: [200] }), kernelInitializer: tf.initializers.glorotUniform({ seed: s })
      }));
      await train(m, d.train, { epochs: 200, batchSize: 20, optimizer: "sgd", learningRate: 0.01, loss: "mse", ...quiet });
      runs.push({ gap: mse(m, d.test) - mse(m, d.train), norm: kernelNorm(m) });
      m.dispose();
    }
    const [none, noisy] = runs;
    assert.ok(noisy.norm < none.norm, `seed ${s}: ||w|| with input noise ${noisy.norm} vs without ${none.norm}`);
    assert.ok(noisy.gap < none.gap, `seed ${s}: gap with input noise ${noisy.gap} vs without ${none.gap}`);
    disposeAll(d.train, d.test);
  }
});

test("weight noise gives a smaller train-test gap and smaller kernels than none", { timeout: 60_000 }, async () => {
  await useBackend("wasm", { quiet: true });
  for (const s of SEEDS) {
    const tr = twoMoons({ n: 30, noise: 0.3, seed: 100 + s });
    const te = twoMoons({ n: 500, noise: 0.3, seed: 200 + s });
    const runs: Array<{ gap: number; norm: number }> = [];
    for (const stddev of [0, 0.3]) {
      seed(s);
      const m = mlp({ inputs: 2, hidden: [64, 64], outputs: 1, outputActivation: "sigmoid" });
      const wn = weightNoise({ stddev });
      await train(m, tr, {
        epochs: 300, batchSize: 30, optimizer: "adam", learningRate: 0.01, loss: "binaryCrossentropy", callbacks: stddev > 0 ? [wn] : [],
        ...quiet
      });
      if (stddev > 0) assert.equal(wn.perturbedSteps, 300, "one perturbed step per batch");
      runs.push({ gap: bce(m, te) - bce(m, tr), norm: kernelNorm(m) });
      m.dispose();
    }
    const [none, noisy] = runs;
    assert.ok(noisy.gap < none.gap, `seed ${s}: gap with weight noise ${noisy.gap} vs without ${none.gap}`);
    assert.ok(noisy.norm < none.norm, `seed ${s}: kernel norm with weight noise ${noisy.norm} vs without ${none.norm}`);
    disposeAll(tr, te);
  }
});
