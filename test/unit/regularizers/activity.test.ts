/**
 * Activity penalties (7.10): values against JS computations (directly and as
 * reported by train at fixed weights, for a LayersModel and a parameter set),
 * the sparsity metrics, errors, no leaks, and the effect on held-out digits
 * over 3 seeds: activity L1 makes the hidden representation sparse (not the
 * weights); weight L1 makes the weights sparse (not the representation).
 * Default backend (wasm).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed, rng } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train } from "../../../src/training/train";
import { mlp } from "../../../src/models/mlp";
import { l1 } from "../../../src/regularizers/norm-penalties";
import {
  activations, activityL1, activityL1Value, klSparsity, klSparsityValue, sparsityStats, weightSparsity, type ParamSetWithActivations,
} from "../../../src/regularizers/activity";
import { accuracyOf, digitsParts, disposeParts } from "../../support/digits-split";

const r = rng(21);
const H = Array.from({ length: 6 }, () => Array.from({ length: 4 }, () => r.next()));

test("activityL1Value = alpha * mean_i ||h_i||_1; klSparsityValue = beta * sum_j KL(rho || mean_i h_ij)", async () => {
  await useBackend(undefined, { quiet: true });
  const h = tf.tensor2d(H.map((row) => row.map((v, j) => (j % 2 ? -v : v))));
  const wantL1 = (0.3 * H.flat().reduce((s, v) => s + Math.abs(v), 0)) / 6;
  assert.ok(Math.abs(activityL1Value(h, 0.3).dataSync()[0] - wantL1) < 1e-6);
  const hp = tf.tensor2d(H);
  const rho = 0.1;
  let kl = 0;
  for (let j = 0; j < 4; j++) {
    const q = H.reduce((s, row) => s + row[j], 0) / 6;
    kl += rho * Math.log(rho / q) + (1 - rho) * Math.log((1 - rho) / (1 - q));
  }
  assert.ok(Math.abs(klSparsityValue(hp, rho, 2).dataSync()[0] - 2 * kl) < 1e-5 * 2 * kl);
  const st = sparsityStats(tf.tensor2d([[0, 1, 0.5], [0, 0, 2], [0.0001, 3, 0]]), { threshold: 1e-3 });
  assert.ok(Math.abs(st.nearZero - 5 / 9) < 1e-7);
  assert.deepEqual(st.firingRates.map((v) => Math.round(v * 3)), [0, 2, 2]);
  assert.equal(st.deadUnits, 1);
  assert.throws(() => klSparsity(0), /rho/);
  assert.throws(() => activityL1(-1), /alpha/);
  tf.dispose([h, hp]);
});

test("train reports activity_l1 / kl_sparsity under their own names, equal " +
  "to JS values at fixed weights (LayersModel and parameter set)", async () => {
  await useBackend(undefined, { quiet: true });
  const [tr] = digitsParts(2, [64]);
  seed(2);
  const m = mlp({ inputs: 64, hidden: [12, 8], outputs: 10, activation: "sigmoid", outputActivation: "softmax" });
  const [W1, b1, W2, b2] = m.getWeights().map((w) => w.arraySync()) as [number[][], number[], number[][], number[]];
  const X = tr.x.arraySync() as number[][];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const h1 = X.map((x) => b1.map((b, j) => sig(b + x.reduce((s, v, q) => s + v * W1[q][j], 0))));
  const h2 = h1.map((a) => b2.map((b, j) => sig(b + a.reduce((s, v, q) => s + v * W2[q][j], 0))));
  const meanL1 = (h: number[][]) => h.reduce((s, row) => s + row.reduce((t, v) => t + Math.abs(v), 0), 0) / h.length;
  const klOf = (h: number[][], rho: number) =>
    h[0].reduce((s, _, j) => {
      const q = h.reduce((t, row) => t + row[j], 0) / h.length;
      return s + rho * Math.log(rho / q) + (1 - rho) * Math.log((1 - rho) / (1 - q));
    }, 0);
  // Learning rate 0: the weights stay at those used above.
  const frozen = tf.train.sgd(0);
  const before = tf.memory().numTensors;
  const names = m.layers.map((l) => l.name);
  const hist = await train(m, tr, {
    epochs: 1, batchSize: 64, optimizer: frozen, loss: "categoricalCrossentropy", progress: false,
    terms: [activityL1(0.01, { layers: [names[0]] }), klSparsity(0.2, { beta: 0.5, layers: [m.layers[1]] })],
  });
  assert.equal(tf.memory().numTensors, before, "no leak");
  const got = hist.metrics as Record<string, number[]>;
  assert.ok(Math.abs(got.activity_l1[0] - 0.01 * meanL1(h1)) < 1e-5, `${got.activity_l1[0]} vs ${0.01 * meanL1(h1)}`);
  assert.ok(Math.abs(got.kl_sparsity[0] - 0.5 * klOf(h2, 0.2)) < 1e-5, `${got.kl_sparsity[0]} vs ${0.5 * klOf(h2, 0.2)}`);
  assert.equal(got.penalty[0], 0, "weight penalties are reported apart");
  assert.ok(Math.abs(got.total[0] - got.loss[0] - got.activity_l1[0] - got.kl_sparsity[0]) < 1e-5);
  // Default layers: every hidden layer with weights.
  const hDefault = activations(m, tr.x);
  assert.equal(hDefault.length, 2);
  tf.dispose(hDefault);
  await assert.rejects(train(m, tr, { epochs: 1, progress: false, terms: activityL1(0.1, { layers: ["nope"] }) }), /no layer named "nope"/);

  // The same network as a parameter set exposing its activations.
  const vs = [W1, b1, W2, b2].map((w) => tf.variable(tf.tensor(w)));
  const acts = (x: tf.Tensor) => {
    const a1 = tf.sigmoid(tf.add(tf.matMul(x, vs[0]), vs[1]));
    return { h1: a1, h2: tf.sigmoid(tf.add(tf.matMul(a1, vs[2]), vs[3])) };
  };
  const ps: ParamSetWithActivations = { params: vs, activations: acts, predict: (x) => acts(x).h2 };
  const hp = await train(ps, { x: tr.x, y: tf.zeros([64, 8]) }, {
    epochs: 1, batchSize: 64, optimizer: frozen, progress: false, terms: activityL1(0.01, { layers: ["h1"] })
  });
  assert.ok(Math.abs(hp.metrics.activity_l1[0] - 0.01 * meanL1(h1)) < 1e-5);
  await assert.rejects(
    train({ params: vs, predict: ps.predict }, { x: tr.x, y: tf.zeros([64, 8]) }, { epochs: 1, progress: false, terms: activityL1(0.1) }),
    /activations\(x, training\)/
  );
  tf.dispose(vs);
  frozen.dispose();
  m.dispose();
  disposeParts([tr]);
});

test("activity L1 sparsifies the hidden representation, " +
  "weight L1 the weights (held-out digits, 3 seeds)", { timeout: 180_000 }, async () => {
  await useBackend(undefined, { quiet: true });
  for (const s of [1, 2, 3]) {
    const [tr, te] = digitsParts(500 + s, [400, 400]);
    const res: Record<string, { acc: number; actZero: number; wZero: number }> = {};
    for (const kind of ["none", "activity", "weights"]) {
      seed(s);
      const m = mlp({ inputs: 64, hidden: [64], outputs: 10, outputActivation: "softmax" });
      await train(m, tr, {
        epochs: 12, batchSize: 32, optimizer: "adam", learningRate: 0.005, loss: "categoricalCrossentropy", progress: false,
        ...(kind === "activity" ? { terms: activityL1(0.02) } : kind === "weights" ? { penalty: l1(0.001) } : {}),
      });
      const [h] = activations(m, te.x);
      res[kind] = {
        acc: tf.tidy(() => accuracyOf(m.predict(te.x) as tf.Tensor, te.labels)),
        actZero: sparsityStats(h, { threshold: 1e-2 }).nearZero,
        wZero: weightSparsity(m, { threshold: 1e-2 }),
      };
      h.dispose();
      m.dispose();
    }
    console.log(`seed ${s}: ${JSON.stringify(res)}`);
    const { none, activity, weights } = res;
    assert.ok(activity.actZero > none.actZero + 0.3, `seed ${s}: near-zero activations ${activity.actZero} vs ${none.actZero}`);
    assert.ok(weights.wZero > none.wZero + 0.3, `seed ${s}: near-zero weights ${weights.wZero} vs ${none.wZero}`);
    assert.ok(activity.actZero > weights.actZero + 0.3, `seed ${s}: activity L1 sparsifies activations more than weight L1`);
    assert.ok(weights.wZero > activity.wZero + 0.3, `seed ${s}: weight L1 sparsifies weights more than activity L1`);
    for (const k of ["activity", "weights"]) assert.ok(
      res[k].acc > none.acc - 0.05, `seed ${s}: ${k} keeps test accuracy (${res[k].acc} vs ${none.acc})`
    );
    disposeParts([tr, te]);
  }
});
