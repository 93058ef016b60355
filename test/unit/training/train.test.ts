import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train, evaluateModel, type ParamSet } from "../../../src/training/train";
import { l2 } from "../../../src/regularizers/norm-penalties";
import { mlp } from "../../../src/models/mlp";
import { twoMoons } from "../../../src/data/two-moons";
import { oneHot } from "../../../src/data/one-hot";
import { blobs } from "../../../src/data/blobs";

const close = (a: number, b: number, rel: number, what: string) =>
  assert.ok(Math.abs(a - b) <= rel * Math.max(1e-12, Math.abs(b)), `${what}: ${a} vs ${b} (rel tol ${rel})`);

function twoModels(regularized: boolean): [tf.LayersModel, tf.LayersModel] {
  const make = () => {
    seed(11);
    return mlp({
      inputs: 2, hidden: [12], outputs: 1, activation: "tanh", outputActivation: "sigmoid",
      kernelRegularizer: regularized ? tf.regularizers.l2({ l2: 0.005 }) : undefined
    });
  };
  return [make(), make()];
}

test("train and model.fit give the same loss curve (no shuffle, same init and batches)", async () => {
  await useBackend("cpu", { quiet: true });
  const d = twoMoons({ n: 90, seed: 3 });
  for (const regularized of [false, true]) {
    const [a, b] = twoModels(regularized);
    assert.deepEqual(Array.from(a.getWeights()[0].dataSync()), Array.from(b.getWeights()[0].dataSync()), "same initial weights");
    a.compile({ optimizer: tf.train.sgd(0.5), loss: "binaryCrossentropy", metrics: ["accuracy"] });
    const hf = await a.fit(d.x, d.y, { epochs: 6, batchSize: 16, shuffle: false, verbose: 0 });
    const opt = tf.train.sgd(0.5);
    const ht = await train(b, d, {
      epochs: 6, batchSize: 16, shuffle: false, optimizer: opt, loss: "binaryCrossentropy", metrics: ["accuracy"], progress: false
    });
    opt.dispose();
    const fitLoss = hf.history.loss as number[];
    // fit's "loss" includes the layer regularizers: compare with our total.
    fitLoss.forEach((v, i) => close(ht.metrics.total[i], v, 1e-5, `epoch ${i} total`));
    if (!regularized) ht.metrics.penalty.forEach((p) => assert.equal(p, 0));
    else ht.metrics.penalty.forEach((p, i) => assert.ok(p > 0 && Math.abs(ht.metrics.loss[i] + p - ht.metrics.total[i]) < 1e-6));
    (hf.history.acc as number[]).forEach((v, i) => close(ht.metrics.accuracy[i], v, 1e-6, `epoch ${i} accuracy`));
    const wa = a.getWeights().map((w) => Array.from(w.dataSync()));
    const wb = b.getWeights().map((w) => Array.from(w.dataSync()));
    wa.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - wb[i][j]) < 1e-5, `final weight ${i}[${j}]`)));
    a.dispose();
    b.dispose();
  }
  d.x.dispose();
  d.y.dispose();
});

test("the penalty is reported separately and val_loss is the data loss only", async () => {
  await useBackend("cpu", { quiet: true });
  seed(5);
  const d = twoMoons({ n: 64, seed: 1 });
  const m = mlp({ inputs: 2, hidden: [8], outputs: 1, outputActivation: "sigmoid" });
  const pen = l2(0.1);
  // Full batch: one step per epoch, so epoch e's penalty is Omega at the weights when the epoch begins.
  const expected: number[] = [];
  const onEpochBegin = () => {
    const sq = m.trainableWeights.filter((w) => w.name.endsWith("kernel")).reduce(
      (acc, w) => acc + Array.from(w.read().dataSync()).reduce((a, v) => a + v * v, 0), 0
    );
    expected.push((0.1 / 2) * sq);
  };
  const h = await train(m, d, {
    epochs: 2, batchSize: 64, optimizer: "sgd", learningRate: 0.1, loss: "binaryCrossentropy", penalty: pen, validationData: d,
    progress: false, callbacks: { onEpochBegin }
  });
  h.metrics.penalty.forEach((p, i) => close(p, expected[i], 1e-5, `penalty epoch ${i} = alpha/2 * sum of squared kernels (no biases)`));
  // val_loss at the end equals the data loss evaluated independently.
  const ev = await evaluateModel(m, d, { loss: "binaryCrossentropy" });
  close(h.last("val_loss")!, ev.loss, 1e-6, "val_loss");
  const manual = tf.tidy(() => {
    const p = m.predict(d.x) as tf.Tensor;
    const eps = 1e-7;
    const pc = tf.clipByValue(p, eps, 1 - eps);
    return tf.neg(tf.mean(tf.add(tf.mul(d.y, tf.log(pc)), tf.mul(tf.sub(1, d.y), tf.log(tf.sub(1, pc)))))).dataSync()[0];
  });
  close(ev.loss, manual, 1e-5, "data loss vs manual BCE");
  m.dispose();
  d.x.dispose();
  d.y.dispose();
});

test("deterministic under seed(): two runs with shuffling and dropout are bit-identical", async () => {
  await useBackend("cpu", { quiet: true });
  const run = async () => {
    seed(21);
    const d = twoMoons({ n: 80, noise: 0.2 });
    const m = mlp({ inputs: 2, hidden: [16, 16], outputs: 1, outputActivation: "sigmoid", dropout: 0.3 });
    const h = await train(m, d, {
      epochs: 4, batchSize: 16, optimizer: "adam", learningRate: 0.01, loss: "binaryCrossentropy", shuffle: true, progress: false
    });
    const w = Array.from(m.getWeights()[0].dataSync());
    m.dispose();
    d.x.dispose();
    d.y.dispose();
    return { loss: h.metrics.loss, w };
  };
  const a = await run();
  const b = await run();
  assert.deepEqual(a, b);
});

test("no tensor growth across epochs or runs", async () => {
  await useBackend("cpu", { quiet: true });
  seed(2);
  const d = twoMoons({ n: 100, seed: 2 });
  const m = mlp({ inputs: 2, hidden: [8], outputs: 1, outputActivation: "sigmoid", dropout: 0.2 });
  const opt = tf.train.sgd(0.1);
  const opts = {
    batchSize: 32, optimizer: opt, loss: "binaryCrossentropy" as const, metrics: ["accuracy" as const], penalty: l2(0.01),
    validationData: d, progress: false
  };
  await train(m, d, { ...opts, epochs: 1 });
  const before = tf.memory().numTensors;
  await train(m, d, { ...opts, epochs: 5 });
  assert.equal(tf.memory().numTensors, before, "tensors after 5 more epochs");
  // Named optimizers are created and disposed by train.
  const before2 = tf.memory().numTensors;
  await train(m, d, { ...opts, optimizer: "adam", epochs: 3 });
  assert.equal(tf.memory().numTensors, before2, "adam slots disposed");
  opt.dispose();
  m.dispose();
  d.x.dispose();
  d.y.dispose();
});

test("multi-output: lossWeights really weight the outputs (a zero weight leaves that head untouched)", async () => {
  await useBackend("cpu", { quiet: true });
  seed(4);
  const b = blobs({ n: 60, centers: 3, dims: 4, seed: 4 });
  const y1 = oneHot(b.labels, 3);
  const input = tf.input({ shape: [4] });
  const trunk = tf.layers.dense({ units: 8, activation: "tanh", name: "trunk" }).apply(input) as tf.SymbolicTensor;
  const o1 = tf.layers.dense({ units: 3, activation: "softmax", name: "cls" }).apply(trunk) as tf.SymbolicTensor;
  const o2 = tf.layers.dense({ units: 1, name: "reg" }).apply(trunk) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: [o1, o2] });
  const headBefore = Array.from(model.getLayer("reg").getWeights()[0].dataSync());
  const h = await train(model, { x: b.x, y: { cls: y1, reg: b.y } }, {
    epochs: 3,
    batchSize: 20,
    optimizer: "sgd",
    learningRate: 0.1,
    loss: { cls: "categoricalCrossentropy", reg: "mse" },
    lossWeights: { cls: 1, reg: 0 },
    metrics: { cls: ["accuracy"] },
    shuffle: false,
    progress: false,
  });
  assert.deepEqual(Array.from(model.getLayer("reg").getWeights()[0].dataSync()), headBefore, "reg head unchanged with weight 0");
  h.metrics.loss.forEach((l, i) => close(l, h.metrics.cls_loss[i], 1e-6, "loss = 1*cls_loss + 0*reg_loss"));
  assert.ok(h.metrics.reg_loss.every((v) => v > 0));
  assert.ok("cls_accuracy" in h.metrics);
  // Weighted sum with both weights non-zero.
  const h2 = await train(model, { x: b.x, y: [y1, b.y] }, {
    epochs: 1, batchSize: 60, optimizer: "sgd", learningRate: 0.01, loss: ["categoricalCrossentropy", "mse"], lossWeights: [0.3, 2],
    progress: false
  });
  close(h2.metrics.loss[0], 0.3 * h2.metrics.cls_loss[0] + 2 * h2.metrics.reg_loss[0], 1e-5, "weighted loss");
  model.dispose();
  [b.x, b.y, y1].forEach((t) => t.dispose());
});

test("from-scratch parameter sets train, and the penalty skips rank-1 (bias) parameters by default", async () => {
  await useBackend("cpu", { quiet: true });
  seed(8);
  const x = tf.randomNormal([50, 3]);
  const wTrue = tf.tensor2d([[1], [-2], [0.5]]);
  const y = tf.tidy(() => tf.add(tf.matMul(x, wTrue), 0.7));
  const w = tf.variable(tf.zeros([3, 1]));
  const bias = tf.variable(tf.zeros([1]));
  const ps: ParamSet = { params: [w, bias], predict: (xb) => tf.add(tf.matMul(xb, w), bias) };
  const pen = l2(0.5);
  const h = await train(ps, { x, y }, {
    epochs: 1, batchSize: 50, optimizer: "sgd", learningRate: 0.1, loss: "mse", penalty: pen, progress: false
  });
  // Before the single step w = 0, so the reported penalty is 0 even though the bias was not 0 later.
  assert.equal(h.metrics.penalty[0], 0);
  bias.assign(tf.ones([1]).mul(3));
  const h2 = await train(ps, { x, y }, {
    epochs: 1, batchSize: 50, optimizer: "sgd", learningRate: 1e-9, loss: "mse", penalty: pen, progress: false
  });
  const wsq = tf.tidy(() => tf.sum(tf.square(w)).dataSync()[0]);
  close(h2.metrics.penalty[0], 0.25 * wsq, 1e-5, "penalty = alpha/2 ||w||^2 without the bias");
  [x, wTrue, y, w, bias].forEach((t) => t.dispose());
});

test("callbacks: hooks in order, async onEpochEnd sees all metrics, stopTraining stops", async () => {
  await useBackend("cpu", { quiet: true });
  seed(9);
  const d = twoMoons({ n: 40, seed: 9 });
  const m = mlp({ inputs: 2, hidden: [4], outputs: 1, outputActivation: "sigmoid" });
  const events: string[] = [];
  const h = await train(m, d, {
    epochs: 10,
    batchSize: 20,
    loss: "binaryCrossentropy",
    metrics: ["accuracy"],
    validationData: d,
    progress: false,
    callbacks: {
      onTrainBegin: () => void events.push("begin"),
      onEpochBegin: (e) => void events.push(`e${e}`),
      onBatchEnd: (b) => void events.push(`b${b}`),
      onEpochEnd: async (e, logs, state) => {
        await new Promise((r) => setTimeout(r, 1));
        for (const k of ["loss", "penalty", "total", "accuracy", "val_loss", "val_accuracy"]) assert.ok(Number.isFinite(logs![k]), k);
        events.push(`E${e}`);
        if (e === 1) state!.stopTraining = true;
      },
      onTrainEnd: () => void events.push("end"),
    },
  });
  assert.deepEqual(events, ["begin", "e0", "b0", "b1", "E0", "e1", "b0", "b1", "E1", "end"]);
  assert.deepEqual(h.epoch, [0, 1]);
  assert.equal(h.stoppedEpoch, 1);
  const frame = h.toFrame();
  assert.deepEqual(frame.shape, [2, 7]);
  m.dispose();
  d.x.dispose();
  d.y.dispose();
});

test("bad input gives clear errors", async () => {
  await useBackend("cpu", { quiet: true });
  const m = mlp({ inputs: 2, hidden: [2], outputs: 1, seed: 1 });
  const x = tf.zeros([4, 2]);
  const y = tf.zeros([3, 1]);
  await assert.rejects(train(m, { x, y }, { progress: false }), /x has 4 rows but the target/);
  await assert.rejects(train(m, { x, y: tf.zeros([4, 1]) }, { loss: "hinge" as never, progress: false }), /Unknown loss "hinge"/);
  await assert.rejects(train(m, { x, y: tf.zeros([4, 1]) }, { optimizer: "lbfgs" as never, progress: false }), /Unknown optimizer/);
  m.dispose();
  x.dispose();
  y.dispose();
});

test("sparseCategoricalCrossentropy on labels equals categoricalCrossentropy on one-hot targets", async () => {
  await useBackend("cpu", { quiet: true });
  const b = blobs({ n: 45, centers: 3, dims: 4, seed: 12 });
  const y1 = oneHot(b.labels, 3);
  const runs: Array<Record<string, number[]>> = [];
  for (const [loss, y] of [["sparseCategoricalCrossentropy", b.y], ["categoricalCrossentropy", y1]] as const) {
    seed(12);
    const m = mlp({ inputs: 4, hidden: [6], outputs: 3, outputActivation: "softmax" });
    const h = await train(m, { x: b.x, y }, {
      epochs: 3, batchSize: 15, shuffle: false, optimizer: "sgd", learningRate: 0.2, loss, metrics: ["accuracy"], progress: false
    });
    runs.push(h.metrics);
    m.dispose();
  }
  runs[0].loss.forEach((v, i) => close(v, runs[1].loss[i], 1e-6, "loss"));
  assert.deepEqual(runs[0].accuracy, runs[1].accuracy);
  [b.x, b.y, y1].forEach((t) => t.dispose());
});
