/**
 * FGSM and PGD against independent computations, and adversarial training's
 * effect on held-out digits. Default backend (wasm).
 *
 * - linear softmax, 2 classes, true class 0: grad_x J = p_1 (w_1 - w_0)/m,
 *   so FGSM moves the margin z_1 - z_0 by exactly epsilon ||w_1 - w_0||_1;
 * - a tanh MLP: the sign of a float64 backprop written here equals fgsm's step;
 * - PGD stays in the epsilon-ball and the clip range, changes no weight, leaks nothing;
 * - adversarial training (w = 0.5) raises FGSM accuracy on test digits, 3 seeds.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed, rng } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train } from "../../../src/training/train";
import { mlp } from "../../../src/models/mlp";
import { fgsm, pgd, adversarialTraining } from "../../../src/regularizers/adversarial";
import type { ParamSet } from "../../../src/training/types";
import { accuracyOf, digitsParts, disposeParts } from "../../support/digits-split";

function linearSoftmax(w: number[][], b: number[]): ParamSet & { dispose(): void } {
  const W = tf.variable(tf.tensor2d(w), true, "W");
  const B = tf.variable(tf.tensor1d(b), true, "b");
  return {
    params: [W, B],
    predict: (x) => tf.softmax(tf.add(tf.matMul(x, W), B)),
    dispose: () => tf.dispose([W, B]),
  };
}

function randMatrix(r: ReturnType<typeof rng>, rows: number, cols: number, s = 1): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => r.normal(0, s)));
}

test("FGSM on a linear softmax model moves the margin z1 - z0 by exactly epsilon * ||w1 - w0||_1", async () => {
  await useBackend(undefined, { quiet: true });
  const r = rng(7);
  const d = 12;
  const w = randMatrix(r, d, 2);
  const m = linearSoftmax(w, [0.3, -0.2]);
  const x = tf.tensor2d(randMatrix(r, 20, d));
  const y = tf.tensor2d(Array.from({ length: 20 }, () => [1, 0]));
  const eps = 0.05;
  const before = tf.memory().numTensors;
  const xAdv = fgsm(m, x, y, eps);
  assert.equal(tf.memory().numTensors, before + 1, "fgsm returns one tensor and leaks nothing");
  const l1 = w.reduce((s, row) => s + Math.abs(row[1] - row[0]), 0);
  const margin = (t: tf.Tensor) => tf.tidy(() => {
    const z = tf.add(tf.matMul(t, m.params[0]), m.params[1]).arraySync() as number[][];
    return z.map((row) => row[1] - row[0]);
  });
  const m0 = margin(x);
  const m1 = margin(xAdv);
  m0.forEach((v, i) => assert.ok(
    Math.abs(m1[i] - v - eps * l1) < 1e-4 * (1 + eps * l1), `row ${i}: change ${m1[i] - v}, closed form ${eps * l1}`
  ));
  // The step is +-epsilon in every coordinate, with the sign of w1 - w0.
  const delta = tf.sub(xAdv, x).arraySync() as number[][];
  delta.forEach((row) => row.forEach((v, j) => assert.ok(Math.abs(v - eps * Math.sign(w[j][1] - w[j][0])) < 1e-6)));
  // The same weights in a LayersModel give the same adversarial example.
  const lm = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [d], activation: "softmax" })] });
  lm.setWeights([m.params[0], m.params[1]]);
  const xAdv2 = fgsm(lm, x, y, eps);
  assert.ok(tf.max(tf.abs(tf.sub(xAdv, xAdv2))).dataSync()[0] < 1e-6);
  tf.dispose([x, y, xAdv, xAdv2]);
  lm.dispose();
  m.dispose();
});

test("fgsm equals x + eps sign(g) with g from an independent float64 backprop of a tanh MLP, clipped to [0, 1]", async () => {
  await useBackend(undefined, { quiet: true });
  const r = rng(11);
  const [n, d, h, k] = [16, 10, 7, 3];
  const W1 = randMatrix(r, d, h, 0.6);
  const b1 = Array.from({ length: h }, () => r.normal(0, 0.1));
  const W2 = randMatrix(r, h, k, 0.6);
  const b2 = Array.from({ length: k }, () => r.normal(0, 0.1));
  const X = Array.from({ length: n }, () => Array.from({ length: d }, () => r.next()));
  const labels = Array.from({ length: n }, () => r.int(k));
  const Y = labels.map((c) => Array.from({ length: k }, (_, j) => (j === c ? 1 : 0)));
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: h, inputShape: [d], activation: "tanh" }), tf.layers.dense({ units: k, activation: "softmax" })],
  });
  const ws = [tf.tensor2d(W1), tf.tensor1d(b1), tf.tensor2d(W2), tf.tensor1d(b2)];
  model.setWeights(ws);
  const x = tf.tensor2d(X);
  const y = tf.tensor2d(Y);
  const eps = 0.1;
  const xAdv = fgsm(model, x, y, eps, { clip: [0, 1] }).arraySync() as number[][];
  let checked = 0;
  for (let i = 0; i < n; i++) {
    const a = Array.from({ length: h }, (_, j) => Math.tanh(b1[j] + X[i].reduce((s, v, q) => s + v * W1[q][j], 0)));
    const z = Array.from({ length: k }, (_, c) => b2[c] + a.reduce((s, v, j) => s + v * W2[j][c], 0));
    const zmax = Math.max(...z);
    const e = z.map((v) => Math.exp(v - zmax));
    const p = e.map((v) => v / e.reduce((s, u) => s + u, 0));
    const dz = p.map((v, c) => (v - Y[i][c]) / n);
    const da = a.map((v, j) => (1 - v * v) * dz.reduce((s, g, c) => s + g * W2[j][c], 0));
    for (let q = 0; q < d; q++) {
      const g = da.reduce((s, v, j) => s + v * W1[q][j], 0);
      if (Math.abs(g) < 1e-6) continue;
      const want = Math.min(1, Math.max(0, X[i][q] + eps * Math.sign(g)));
      assert.ok(Math.abs(xAdv[i][q] - want) < 1e-6, `x_adv[${i}][${q}] = ${xAdv[i][q]}, want ${want}`);
      checked++;
    }
  }
  assert.ok(checked > 0.9 * n * d, `compared ${checked} coordinates`);
  tf.dispose([x, y, ...ws]);
  model.dispose();
});

test("pgd stays in the epsilon-ball and the clip range, is at least " +
  "as strong as fgsm here, changes no weight and leaks nothing", async () => {
  await useBackend(undefined, { quiet: true });
  seed(3);
  const [te] = digitsParts(3, [200]);
  const model = mlp({ inputs: 64, hidden: [32], outputs: 10, outputActivation: "softmax" });
  await train(model, te, {
    epochs: 20, batchSize: 32, optimizer: "adam", learningRate: 0.01, loss: "categoricalCrossentropy", progress: false
  });
  const w0 = model.getWeights().map((w) => Array.from(w.dataSync()));
  const before = tf.memory().numTensors;
  const eps = 0.1;
  for (const randomStart of [false, true]) {
    const xAdv = pgd(model, te.x, te.y, { epsilon: eps, steps: 7, stepSize: 0.04, clip: [0, 1], randomStart });
    const dev = tf.tidy(() => tf.max(tf.abs(tf.sub(xAdv, te.x))).dataSync()[0]);
    assert.ok(dev <= eps * (1 + 1e-6), `max |x_adv - x| = ${dev}`);
    assert.ok(dev > 0.9 * eps, "it moved");
    const [lo, hi] = tf.tidy(() => [tf.min(xAdv).dataSync()[0], tf.max(xAdv).dataSync()[0]]);
    assert.ok(lo >= 0 && hi <= 1, `range [${lo}, ${hi}]`);
    const xf = fgsm(model, te.x, te.y, eps, { clip: [0, 1] });
    const accP = tf.tidy(() => accuracyOf(model.predict(xAdv) as tf.Tensor, te.labels));
    const accF = tf.tidy(() => accuracyOf(model.predict(xf) as tf.Tensor, te.labels));
    assert.ok(accP <= accF, `pgd accuracy ${accP} vs fgsm ${accF}`);
    tf.dispose([xAdv, xf]);
  }
  assert.equal(tf.memory().numTensors, before, "no tensor leaked");
  model.getWeights().forEach((w, i) => assert.deepEqual(Array.from(w.dataSync()), w0[i], `weight ${i} unchanged`));
  assert.throws(() => pgd(model, te.x, te.y, { epsilon: -1 }), /epsilon/);
  assert.throws(() => fgsm(model, te.x, te.y, 0.1, { clip: [1, 0] }), /clip/);
  model.dispose();
  disposeParts([te]);
});

test("train's adversarial option: total = (1 - w) J + w J(x_adv), reported apart; same as the term; no leak", async () => {
  await useBackend(undefined, { quiet: true });
  const [tr] = digitsParts(5, [128]);
  const run = async (opts: object) => {
    seed(5);
    const m = mlp({ inputs: 64, hidden: [16], outputs: 10, outputActivation: "softmax" });
    const before = tf.memory().numTensors;
    const h = await train(m, tr, { epochs: 3, batchSize: 32, loss: "categoricalCrossentropy", progress: false, ...opts });
    assert.equal(tf.memory().numTensors, before, "train with an adversarial term leaks nothing");
    m.dispose();
    return h;
  };
  const h = await run({ adversarial: { method: "fgsm", epsilon: 0.1, weight: 0.3, clip: [0, 1] } });
  const h2 = await run({ terms: adversarialTraining({ epsilon: 0.1, weight: 0.3, clip: [0, 1] }) });
  const hp = await run({ adversarial: { method: "pgd", epsilon: 0.1, steps: 3, weight: 0.3 } });
  for (const e of [0, 1, 2]) {
    const { loss, adversarial, total, penalty } = h.metrics as Record<string, number[]>;
    assert.ok(Math.abs(total[e] - (0.7 * loss[e] + adversarial[e] + penalty[e])) < 1e-5, `epoch ${e}`);
    assert.ok(adversarial[e] > 0.3 * loss[e], "the adversarial loss exceeds the clean one");
    assert.equal(h2.metrics.total[e], total[e], "option and term are the same");
    assert.ok(hp.metrics.adversarial[e] > 0);
  }
  assert.throws(() => adversarialTraining({ epsilon: 0.1, weight: 2 }), /weight/);
  disposeParts([tr]);
});

test("adversarial training (FGSM, w = 0.5) raises FGSM accuracy on held-out digits, 3 seeds", { timeout: 120_000 }, async () => {
  await useBackend(undefined, { quiet: true });
  const eps = 0.1;
  for (const s of [1, 2, 3]) {
    const [tr, te] = digitsParts(100 + s, [600, 400]);
    const acc: Record<string, { clean: number; adv: number }> = {};
    for (const kind of ["plain", "adversarial"]) {
      seed(s);
      const m = mlp({ inputs: 64, hidden: [64], outputs: 10, outputActivation: "softmax" });
      await train(m, tr, {
        epochs: 15, batchSize: 32, optimizer: "adam", learningRate: 0.01, loss: "categoricalCrossentropy", progress: false,
        ...(kind === "adversarial" ? {
          adversarial: { method: "fgsm" as const, epsilon: eps, weight: 0.5, clip: [0, 1] as [number, number] }
        } : {}),
      });
      const xAdv = fgsm(m, te.x, te.y, eps, { clip: [0, 1] });
      acc[kind] = tf.tidy(() => ({
        clean: accuracyOf(m.predict(te.x) as tf.Tensor, te.labels), adv: accuracyOf(m.predict(xAdv) as tf.Tensor, te.labels)
      }));
      xAdv.dispose();
      m.dispose();
    }
    console.log(`seed ${s}: ${JSON.stringify(acc)}`);
    assert.ok(acc.plain.adv < acc.plain.clean - 0.1, `seed ${s}: FGSM hurts the plain model (${acc.plain.clean} -> ${acc.plain.adv})`);
    assert.ok(
      acc.adversarial.adv > acc.plain.adv + 0.15, `seed ${s}: adversarial accuracy ${acc.adversarial.adv} vs plain ${acc.plain.adv}`
    );
    disposeParts([tr, te]);
  }
});
