// The hand-derived step for mlp()-shaped models (src/training/dense-chain.ts)
// against autodiff: same masks (same seeded draws), gradients equal to
// float32 rounding, on the default backend (wasm) and cpu; which models it
// takes and which it leaves to autodiff; train() with it and without it.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../src/backend";
import { seed } from "../../../src/random/seed";
import { mlp } from "../../../src/models/mlp";
import { dropoutLayer } from "../../../src/regularizers/dropout";
import { l2 } from "../../../src/regularizers/norm-penalties";
import { train, type TrainOptions } from "../../../src/training/train";
import { trainableVariables } from "../../../src/training/model-adapter";
import { denseChainGradients, denseChainOf } from "../../../src/training/dense-chain";
import { softmaxCrossEntropy } from "../../../src/kernels/dense-grads";

/** max |a - b| / max(1e-3, max |b|) over every variable. */
function relErr(a: Record<string, tf.Tensor>, b: Record<string, tf.Tensor>): number {
  let worst = 0;
  for (const k of Object.keys(b)) {
    const [x, y] = [a[k].dataSync(), b[k].dataSync()];
    let scale = 1e-3;
    for (const v of y) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / scale);
  }
  return worst;
}

function data(n: number, d: number, k: number) {
  seed(11);
  const x = tf.randomNormal([n, d]);
  const labels = tf.tensor1d(Array.from({ length: n }, (_, i) => (i * 5 + 1) % k), "int32");
  return { x, y: tf.oneHot(labels, k).toFloat() };
}

function autodiffGrads(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor): { loss: number; grads: Record<string, tf.Tensor> } {
  const vars = trainableVariables(model);
  const objective = () => tf.mean(tf.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar;
  const { value, grads } = tf.variableGrads(objective, vars);
  return { loss: value.dataSync()[0], grads };
}

const models: Record<string, () => tf.Sequential> = {
  "relu, tfjs dropout": () => mlp({ inputs: 6, hidden: [32, 16], outputs: 4, outputActivation: "softmax", dropout: 0.5 }),
  "tanh, input dropout, per-layer rates": () =>
    mlp({
      inputs: 6, hidden: [32, 16], outputs: 4, activation: "tanh", outputActivation: "softmax", dropout: [0.3, 0.1],
      inputDropout: 0.2,
    }),
  "relu, reglab DropoutLayer": () =>
    tf.sequential({
      layers: [
        tf.layers.dense({ units: 24, activation: "relu", inputShape: [6] }),
        dropoutLayer({ rate: 0.4 }),
        tf.layers.dense({ units: 4, activation: "softmax" }),
      ],
    }),
  "linear hidden, no dropout, no bias": () =>
    tf.sequential({
      layers: [tf.layers.dense({ units: 8, inputShape: [6], useBias: false }), tf.layers.dense({ units: 4, activation: "softmax" })],
    }),
};

for (const backend of ["wasm", "cpu"] as const) {
  for (const [what, make] of Object.entries(models)) {
    test(`hand-derived gradients = autodiff to float32 rounding, same masks (${what}; ${backend})`, async () => {
      await useBackend(backend, { quiet: true });
      const { x, y } = data(40, 6, 4);
      seed(5);
      const model = make();
      const chain = denseChainOf(model, trainableVariables(model));
      assert.ok(chain, "the model should take the hand-derived step");
      for (const s of [1, 2, 3]) {
        seed(100 + s);
        const hand = tf.tidy(() => {
          const r = denseChainGradients(chain, x, y);
          return { loss: r.loss.dataSync()[0], grads: Object.fromEntries(Object.entries(r.grads).map(([k, g]) => [k, tf.keep(g)])) };
        });
        seed(100 + s);
        const auto = autodiffGrads(model, x, y);
        assert.ok(Math.abs(hand.loss - auto.loss) <= 1e-6 * Math.max(1, auto.loss), `loss ${hand.loss} vs ${auto.loss}`);
        const err = relErr(hand.grads, auto.grads);
        assert.ok(err < 2e-5, `gradients differ by ${err} (relative)`);
        // A dropout mask that differs would show as an O(1) difference: the draws match.
        tf.dispose([...Object.values(hand.grads), ...Object.values(auto.grads)]);
      }
      model.dispose();
      tf.dispose([x, y]);
    });
  }
}

test("fused dense forward + hand backward = unfused matMul, add, relu under autodiff (wasm)", async () => {
  await useBackend("wasm", { quiet: true });
  const { x, y } = data(33, 6, 4);
  seed(8);
  const hidden = tf.layers.dense({ units: 20, activation: "relu", inputShape: [6] });
  const layers = [hidden, tf.layers.dense({ units: 4, activation: "softmax" })];
  const model = tf.sequential({ layers });
  const vars = trainableVariables(model);
  const chain = denseChainOf(model, vars)!;
  const hand = tf.tidy(() => Object.fromEntries(Object.entries(denseChainGradients(chain, x, y).grads).map(([k, g]) => [k, tf.keep(g)])));
  const [w1, b1, w2, b2] = vars;
  const { grads } = tf.variableGrads(() => {
    const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
    const p = tf.softmax(tf.add(tf.matMul(h, w2), b2));
    return tf.mean(tf.metrics.categoricalCrossentropy(y, p)) as tf.Scalar;
  }, vars);
  assert.ok(relErr(hand, grads) < 2e-5);
  tf.dispose([...Object.values(hand), ...Object.values(grads), x, y]);
  model.dispose();
});

test("softmax cross-entropy kernel: the clip's zero gradient where p is clipped, as autodiff (wasm)", async () => {
  await useBackend("wasm", { quiet: true });
  // Row 0: the true class has p ~ e^-40 < 1e-7 (clipped: no gradient through the log); row 1: saturated right; row 2: ordinary.
  const z = tf.tensor2d([[40, 0, 0], [0, 40, 0], [0.3, -0.2, 0.1]]);
  const y = tf.tensor2d([[0, 0, 1], [0, 1, 0], [1, 0, 0]]);
  const { dz, loss } = softmaxCrossEntropy(z, y);
  const f = (zz: tf.Tensor) => tf.mean(tf.metrics.categoricalCrossentropy(y, tf.softmax(zz))) as tf.Scalar;
  const auto = tf.grad(f)(z);
  const [a, b] = [dz.dataSync(), auto.dataSync()];
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-6, `dz[${i}] = ${a[i]}, autodiff ${b[i]}`);
  assert.ok(Math.abs(loss.dataSync()[0] - f(z).dataSync()[0]) < 1e-5);
  tf.dispose([z, y, dz, loss, auto]);
});

test("models the hand-derived step leaves to autodiff", async () => {
  await useBackend("wasm", { quiet: true });
  const around = (drop: tf.layers.Layer) =>
    tf.sequential({ layers: [tf.layers.dense({ units: 4, inputShape: [3] }), drop, tf.layers.dense({ units: 2, activation: "softmax" })] });
  const cases: Array<[string, tf.Sequential]> = [
    [
      "kernel regularizer",
      mlp({ inputs: 3, hidden: [4], outputs: 2, outputActivation: "softmax", kernelRegularizer: l2(0.1).asLayerRegularizer() }),
    ],
    ["sigmoid output", mlp({ inputs: 3, hidden: [4], outputs: 1, outputActivation: "sigmoid" })],
    ["linear output", mlp({ inputs: 3, hidden: [4], outputs: 2 })],
    ["elu hidden", mlp({ inputs: 3, hidden: [4], outputs: 2, activation: "elu", outputActivation: "softmax" })],
    ["dropout with a noise shape", around(dropoutLayer({ rate: 0.5, noiseShape: [null, 1] }))],
    ["seeded tfjs dropout", around(tf.layers.dropout({ rate: 0.5, seed: 3 }))],
  ];
  const frozen = mlp({ inputs: 3, hidden: [4], outputs: 2, outputActivation: "softmax" });
  frozen.layers[0].trainable = false;
  cases.push(["a frozen layer", frozen]);
  for (const [what, m] of cases) {
    assert.equal(denseChainOf(m, trainableVariables(m)), null, what);
    m.dispose();
  }
  await useBackend("wasm", { quiet: true });
});

test("train: hand step vs autodiff, same seed, Adam + L2 + dropout + accuracy: logs and weights equal to float32 tolerance", async () => {
  await useBackend("wasm", { quiet: true });
  const { x, y } = data(150, 6, 4);
  const run = async (denseChain: boolean) => {
    seed(21);
    const m = mlp({ inputs: 6, hidden: [32, 32], outputs: 4, outputActivation: "softmax", dropout: 0.3 });
    const before = tf.memory().numTensors;
    const loss = "categoricalCrossentropy";
    const options: TrainOptions = { epochs: 3, batchSize: 32, optimizer: "adam", learningRate: 0.01, loss, penalty: l2(1e-3) };
    const h = await train(m, { x, y }, { ...options, metrics: ["accuracy"], progress: false, fastPath: { denseChain } });
    const leaked = tf.memory().numTensors - before;
    const w = m.getWeights().map((t) => Array.from(t.dataSync()));
    m.dispose();
    return { h, w, leaked };
  };
  const fast = await run(true);
  const slow = await run(false);
  assert.equal(fast.leaked, 0);
  for (const k of ["loss", "penalty", "total", "accuracy"]) {
    const [a, b] = [fast.h.metrics[k], slow.h.metrics[k]];
    assert.ok(a && b && a.length === 3, k);
    a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= 1e-4 * Math.max(1, Math.abs(b[i])), `${k}[${i}]: ${v} vs ${b[i]}`));
  }
  fast.w.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - slow.w[i][j]) < 1e-4, `weight ${i}[${j}]: ${v} vs ${slow.w[i][j]}`)));
  tf.dispose([x, y]);
});

test("extension seams with the hand-derived step: augment transforms every batch; a term sends the step to autodiff", async () => {
  await useBackend("wasm", { quiet: true });
  const { x, y } = data(64, 6, 4);
  const loss = "categoricalCrossentropy";
  const base: TrainOptions = { epochs: 2, batchSize: 16, optimizer: "adam", loss, progress: false };
  seed(2);
  const m = mlp({ inputs: 6, hidden: [8], outputs: 4, outputActivation: "softmax", dropout: 0.2 });
  let augmented = 0;
  const augment = (b: { x: tf.Tensor; y: tf.Tensor }) => {
    augmented++;
    return { x: tf.add(b.x, 1), y: b.y };
  };
  await train(m, { x, y }, { ...base, augment });
  assert.equal(augmented, 8, "augment runs once per training batch (2 epochs x 4 batches)");
  let valued = 0;
  const term = {
    name: "half_loss",
    value: (ctx: { dataLoss: tf.Scalar }) => {
      valued++;
      return tf.mul(ctx.dataLoss, 0.5) as tf.Scalar;
    },
  };
  const h = await train(m, { x, y }, { ...base, terms: term });
  assert.equal(valued, 8, "the term's value is taken on the tape every step");
  h.metrics.half_loss.forEach((v, i) => assert.ok(Math.abs(v - h.metrics.loss[i] / 2) < 1e-6));
  m.dispose();
  tf.dispose([x, y]);
});
