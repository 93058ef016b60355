/**
 * Tangent prop and tangent distance (7.14): the warp and its finite-difference
 * tangents on images where the answer is known in closed form, the penalty
 * against the exact Jacobian-vector products of a linear model and of a tanh
 * MLP (float64 JS), and two effects on held-out digits over 3 seeds: tangent
 * prop shrinks the model's sensitivity along held-out tangents, and the
 * tangent-distance 1-NN classifier beats Euclidean 1-NN with 100 prototypes.
 * Default backend (wasm).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed, rng } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train } from "../../../src/training/train";
import { mlp } from "../../../src/models/mlp";
import { forward } from "../../../src/training/model-adapter";
import {
  bilinearWarp, imageTangents, tangentArrays, tangentDistance, tangentProp, TangentDistanceClassifier
} from "../../../src/regularizers/tangent-prop";
import { accuracyOf, digitsParts, disposeParts } from "../../support/digits-split";

test("bilinear warp and tangents: integer shifts move pixels, ramps have " +
  "the closed-form tangents (-1 for x-shifts, r - cy for rotation)", () => {
  const [h, w] = [6, 7];
  const img = Float64Array.from({ length: h * w }, (_, i) => i + 1);
  const shifted = bilinearWarp(img, h, w, "translateX", 1);
  for (let r = 0; r < h; r++) for (let c = 0; c < w; c++) assert.equal(shifted[r * w + c], c === 0 ? 0 : img[r * w + c - 1]);
  assert.deepEqual(Array.from(bilinearWarp(img, h, w, "rotate", 0)), Array.from(img));
  const ramp = Float64Array.from({ length: h * w }, (_, i) => (i % w) - (w - 1) / 2); // f(r, c) = c - cx
  const [tx, ty, rot] = tangentArrays(ramp, 1, { height: h, width: w, delta: { translate: 0.5, rotate: 0.01 } });
  const cy = (h - 1) / 2;
  for (let r = 1; r < h - 1; r++) {
    for (let c = 1; c < w - 1; c++) {
      assert.ok(Math.abs(tx[r * w + c] + 1) < 1e-12, "d/da f(c - a) = -1");
      assert.ok(Math.abs(ty[r * w + c]) < 1e-12, "a ramp in x does not change under y-shifts");
      if (r >= 2 && r <= h - 3 && c >= 2 && c <= w - 3) assert.ok(
        Math.abs(rot[r * w + c] - (r - cy)) < 1e-3, `rotation tangent at (${r}, ${c}): ${rot[r * w + c]}`
      );
    }
  }
  assert.throws(() => tangentArrays(ramp, 2, { height: h, width: w }), /expected 2 images/);
});

test("tangentProp = alpha (1/m) sum_rows sum_i ||J v_i||^2: exact for a linear model, float64 JVP for a tanh MLP; no leak", async () => {
  await useBackend(undefined, { quiet: true });
  const r = rng(5);
  const [m, d, hdim, k] = [12, 9, 6, 4];
  const X = Array.from({ length: m }, () => Array.from({ length: d }, () => r.next()));
  const V1 = Array.from({ length: m }, () => Array.from({ length: d }, () => r.normal()));
  const W1 = Array.from({ length: d }, () => Array.from({ length: hdim }, () => r.normal(0, 0.5)));
  const W2 = Array.from({ length: hdim }, () => Array.from({ length: k }, () => r.normal(0, 0.5)));
  const x = tf.tensor2d(X);
  const v1 = tf.tensor2d(V1);
  const tangents = (xx: tf.Tensor) => [v1.clone(), tf.mul(xx, 0.5)];
  const frozen = tf.train.sgd(0);
  const run = async (model: tf.LayersModel) => {
    const before = tf.memory().numTensors;
    const hist = await train(model, { x, y: tf.zeros([m, k]) }, {
      epochs: 1, batchSize: m, optimizer: frozen, shuffle: false, progress: false, terms: tangentProp(tangents, 0.3)
    });
    assert.ok(tf.memory().numTensors <= before + 1, "no leak (the zeros target is the test's)");
    return hist.metrics.tangent_prop[0];
  };
  const jvpNorm = (jv: (row: number[], v: number[]) => number[]) => {
    let s = 0;
    for (let i = 0; i < m; i++) for (const v of [V1[i], X[i].map((t) => 0.5 * t)]) s += jv(X[i], v).reduce((a, b) => a + b * b, 0);
    return (0.3 * s) / m;
  };
  // Linear: J v = W^T v.
  const lin = tf.sequential({ layers: [tf.layers.dense({ units: k, inputShape: [d], useBias: false })] });
  lin.setWeights([tf.tensor2d(W1.map((row) => row.slice(0, k)))]);
  const linWant = jvpNorm((_, v) => Array.from({ length: k }, (_, c) => v.reduce((s, t, q) => s + t * W1[q][c], 0)));
  const linGot = await run(lin);
  assert.ok(Math.abs(linGot - linWant) < 1e-4 * linWant, `linear ${linGot} vs ${linWant}`);
  // tanh MLP: J v = W2^T diag(1 - a^2) W1^T v.
  const net = tf.sequential({ layers: [
    tf.layers.dense({ units: hdim, inputShape: [d], activation: "tanh", useBias: false }), tf.layers.dense({ units: k, useBias: false })
  ] });
  net.setWeights([tf.tensor2d(W1), tf.tensor2d(W2)]);
  const netWant = jvpNorm((row, v) => {
    const a = Array.from({ length: hdim }, (_, j) => Math.tanh(row.reduce((s, t, q) => s + t * W1[q][j], 0)));
    const u = a.map((aj, j) => (1 - aj * aj) * v.reduce((s, t, q) => s + t * W1[q][j], 0));
    return Array.from({ length: k }, (_, c) => u.reduce((s, t, j) => s + t * W2[j][c], 0));
  });
  const netGot = await run(net);
  assert.ok(Math.abs(netGot - netWant) < 1e-3 * netWant, `tanh MLP ${netGot} vs ${netWant}`);
  assert.throws(() => tangentProp(tangents, -1), /alpha/);
  tf.dispose([x, v1]);
  frozen.dispose();
  lin.dispose();
  net.dispose();
});

/** Mean over rows of sum_i ||J v_i||^2 on held-out images (central differences, eta 1e-3). */
function sensitivity(model: tf.LayersModel, x: tf.Tensor): number {
  return tf.tidy(() => {
    let s = 0;
    for (const v of imageTangents(x, { height: 8, width: 8 })) {
      const up = forward(model, tf.add(x, tf.mul(v, 1e-3)), false)[0];
      const down = forward(model, tf.sub(x, tf.mul(v, 1e-3)), false)[0];
      s += tf.sum(tf.square(tf.div(tf.sub(up, down), 2e-3))).dataSync()[0] / x.shape[0];
    }
    return s;
  });
}

test("tangent prop makes the classifier less sensitive along " +
  "held-out tangents, keeping accuracy (100 digits, 3 seeds)", { timeout: 120_000 }, async () => {
  await useBackend(undefined, { quiet: true });
  for (const s of [1, 2, 3]) {
    const [tr, te] = digitsParts(800 + s, [100, 400]);
    const res: Array<{ acc: number; sens: number }> = [];
    for (const alpha of [0, 0.3]) {
      seed(s);
      const m = mlp({ inputs: 64, hidden: [64], outputs: 10, outputActivation: "softmax" });
      await train(m, tr, {
        epochs: 40, batchSize: 20, optimizer: "adam", learningRate: 0.005, loss: "categoricalCrossentropy", progress: false,
        ...(alpha ? { terms: tangentProp((x) => imageTangents(x, { height: 8, width: 8 }), alpha) } : {}),
      });
      res.push({ acc: tf.tidy(() => accuracyOf(m.predict(te.x) as tf.Tensor, te.labels)), sens: sensitivity(m, te.x) });
      m.dispose();
    }
    console.log(`seed ${s}: none ${JSON.stringify(res[0])}, tangent prop ${JSON.stringify(res[1])}`);
    assert.ok(res[1].sens < 0.7 * res[0].sens, `seed ${s}: held-out tangent sensitivity ${res[1].sens} vs ${res[0].sens}`);
    assert.ok(res[1].acc > res[0].acc - 0.02, `seed ${s}: accuracy ${res[1].acc} vs ${res[0].acc}`);
    disposeParts([tr, te]);
  }
});

test("tangent-distance 1-NN beats Euclidean 1-NN with 100 prototypes " +
  "on held-out digits (4 seeds); d = 0 for a shifted copy's plane", async () => {
  await useBackend(undefined, { quiet: true });
  // A point on p's tangent plane is at (ridge-limited) distance ~0 one-sided.
  const p = Float64Array.from({ length: 64 }, (_, i) => Math.sin(i));
  const [t1] = tangentArrays(p, 1, { height: 8, width: 8, kinds: ["translateX"] });
  const q = p.map((v, i) => v + 0.3 * t1[i]);
  assert.ok(tangentDistance(q, [], p, [t1], { sided: "one", ridge: 1e-9 }) < 1e-9);
  assert.ok(tangentDistance(q, [], p, [], { sided: "one" }) > 0.01, "Euclidean distance is not 0");
  const gains: number[] = [];
  for (const s of [1, 2, 3, 4]) {
    const [tr, te] = digitsParts(700 + s, [100, 300]);
    const P = tr.x.arraySync() as number[][];
    const Q = te.x.arraySync() as number[][];
    let euclid = 0;
    Q.forEach((qq, i) => {
      let best = Infinity;
      let label = -1;
      P.forEach((pp, j) => {
        const dist = pp.reduce((acc, v, c) => acc + (v - qq[c]) ** 2, 0);
        if (dist < best) [best, label] = [dist, tr.labels[j]];
      });
      if (label === te.labels[i]) euclid++;
    });
    const pred = new TangentDistanceClassifier({ height: 8, width: 8 }).fit(tr.x, tr.labels).predict(te.x);
    const tangent = pred.filter((v, i) => v === te.labels[i]).length;
    console.log(`seed ${s}: 1-NN accuracy euclidean ${euclid / 300}, tangent distance ${tangent / 300}`);
    assert.ok(tangent >= euclid, `seed ${s}: tangent ${tangent} vs euclidean ${euclid} of 300`);
    gains.push((tangent - euclid) / 300);
    disposeParts([tr, te]);
  }
  assert.ok(gains.reduce((a, b) => a + b, 0) / gains.length > 0.015, `mean gain ${gains}`);
});
