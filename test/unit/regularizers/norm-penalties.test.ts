import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed, rng } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train, type ParamSet } from "../../../src/training/train";
import { l1, l2, elasticNet, softThreshold, weightDecayStep } from "../../../src/regularizers/norm-penalties";
import { AdamW, SGDW } from "../../../src/regularizers/weight-decay";
import { d2lLinear } from "../../../src/data/d2l-linear";

/** Solve A w = b (A symmetric positive definite) by Cholesky, in float64. */
function choleskySolve(A: number[][], b: number[]): number[] {
  const n = b.length;
  const L = A.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(s) : s / L[j][j];
    }
  }
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= L[i][k] * z[k];
    z[i] = s / L[i][i];
  }
  const w = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = z[i];
    for (let k = i + 1; k < n; k++) s -= L[k][i] * w[k];
    w[i] = s / L[i][i];
  }
  return Array.from(w);
}

test("L2 linear regression trained by train() equals the float64 ridge closed form", async () => {
  await useBackend("cpu", { quiet: true });
  for (const s of [1, 2, 3]) {
    const r = rng(s);
    const n = 40;
    const d = 5;
    const X = Array.from({ length: n }, () => Array.from({ length: d }, () => r.normal()));
    const y = X.map((row) => row.reduce((acc, v, j) => acc + v * (j - 2), 0) + r.normal(0, 0.5));
    const alpha = 0.3;
    // train minimizes (1/n)||Xw - y||^2 + alpha/2 ||w||^2  =>  (X^T X + n*alpha/2 I) w = X^T y.
    const A = Array.from({ length: d }, (_, i) => Array.from(
      { length: d }, (_, j) => X.reduce((acc, row) => acc + row[i] * row[j], 0) + (i === j ? (n * alpha) / 2 : 0)
    ));
    const bvec = Array.from({ length: d }, (_, i) => X.reduce((acc, row, k) => acc + row[i] * y[k], 0));
    const wRidge = choleskySolve(A, bvec);
    const w = tf.variable(tf.zeros([d, 1]));
    const xt = tf.tensor2d(X);
    const yt = tf.tensor2d(y, [n, 1]);
    const ps: ParamSet = { params: [w], predict: (xb) => tf.matMul(xb, w) };
    await train(ps, { x: xt, y: yt }, {
      epochs: 600, batchSize: n, optimizer: "sgd", learningRate: 0.1, loss: "mse", penalty: l2(alpha), progress: false
    });
    const got = Array.from(w.dataSync());
    const norm = Math.hypot(...wRidge);
    const err = Math.hypot(...got.map((v, i) => v - wRidge[i]));
    assert.ok(err / norm < 2e-5, `seed ${s}: relative error ${err / norm}; got ${got}, ridge ${wRidge}`);
    [w, xt, yt].forEach((t) => t.dispose());
  }
});

/** J(w) = 1/2 (w - w*)^T H (w - w*) as a "model" whose output is J. */
function quadratic(h: number[], wStar: number[], shape: number[]): { ps: ParamSet; w: tf.Variable } {
  const w = tf.variable(tf.tensor(wStar, shape));
  const H = tf.tensor(h, shape);
  const ws = tf.tensor(wStar, shape);
  const ps: ParamSet = {
    params: [w],
    predict: () => tf.reshape(tf.mul(0.5, tf.sum(tf.mul(H, tf.square(tf.sub(w, ws))))), [1, 1]),
  };
  return { ps, w };
}
const lossIsOutput = (_y: tf.Tensor, p: tf.Tensor) => tf.mean(p) as tf.Scalar;
const dummy = () => ({ x: tf.zeros([1, 1]), y: tf.zeros([1, 1]) });

test("L2 on H = diag(0.1, 10), w* = (1, 1), alpha = 1 gives w~ = H/(H + alpha) w* (eq. 7.13)", async () => {
  await useBackend("cpu", { quiet: true });
  const H = [0.1, 10];
  const { ps, w } = quadratic(H, [1, 1], [2]);
  const data = dummy();
  // w is rank 1: it is only penalized with includeBiases.
  await train(ps, data, {
    epochs: 400, batchSize: 1, optimizer: "sgd", learningRate: 0.1, loss: lossIsOutput, penalty: l2(1, { includeBiases: true }),
    progress: false
  });
  const got = Array.from(w.dataSync());
  H.forEach((h, i) => assert.ok(Math.abs(got[i] - h / (h + 1)) < 1e-5, `w[${i}] = ${got[i]}, expected ${h / (h + 1)}`));
  assert.ok(got.every((v) => v !== 0), "L2 never zeroes a weight here");
  // By default the rank-1 variable counts as a bias: no shrinkage.
  w.assign(tf.tensor1d([1, 1]));
  await train(ps, data, {
    epochs: 50, batchSize: 1, optimizer: "sgd", learningRate: 0.1, loss: lossIsOutput, penalty: l2(1), progress: false
  });
  assert.deepEqual(Array.from(w.dataSync()), [1, 1]);
  w.dispose();
});

test("L1 on the same quadratic: soft-threshold solution (eq. 7.23) by proximal steps and by train's subgradient", async () => {
  await useBackend("cpu", { quiet: true });
  const H = [0.1, 10];
  const wStar = [1, 1];
  const alpha = 0.5;
  const expected = wStar.map((v, i) => Math.sign(v) * Math.max(Math.abs(v) - alpha / H[i], 0));
  // Proximal gradient (ISTA): w <- S_{lr alpha}(w - lr H (w - w*)).
  const lr = 0.09;
  let w: tf.Tensor = tf.tensor1d([0.3, -0.2]);
  const Ht = tf.tensor1d(H);
  const ws = tf.tensor1d(wStar);
  for (let k = 0; k < 3000; k++) {
    const next = tf.tidy(() => softThreshold(tf.sub(w, tf.mul(lr, tf.mul(Ht, tf.sub(w, ws)))), lr * alpha));
    w.dispose();
    w = next;
  }
  const prox = Array.from(w.dataSync());
  assert.equal(prox[0], 0, "first weight exactly zero");
  assert.ok(Math.abs(prox[1] - expected[1]) < 1e-5, `w2 = ${prox[1]}`);
  // train with the l1 penalty (subgradient): w1 hovers within lr*alpha of 0, w2 near 0.95.
  const q = quadratic(H, wStar, [1, 2]);
  await train(q.ps, dummy(), {
    epochs: 2000, batchSize: 1, optimizer: "sgd", learningRate: 0.01, loss: lossIsOutput, penalty: l1(alpha), progress: false
  });
  const sub = Array.from(q.w.dataSync());
  assert.ok(Math.abs(sub[0]) <= 0.01 * alpha * 1.01, `w1 = ${sub[0]}`);
  assert.ok(Math.abs(sub[1] - expected[1]) < 1e-3, `w2 = ${sub[1]}`);
  [w, Ht, ws, q.w].forEach((t) => t.dispose());
});

test("penalty values follow the book convention and convert to tfjs's", () => {
  const w = tf.tensor2d([[1, -2], [3, 0.5]]);
  const sq = 1 + 4 + 9 + 0.25;
  const abs = 1 + 2 + 3 + 0.5;
  assert.ok(Math.abs(l2(0.4).value([w]).dataSync()[0] - 0.2 * sq) < 1e-5);
  assert.ok(Math.abs(l1(0.4).value([w]).dataSync()[0] - 0.4 * abs) < 1e-5);
  assert.ok(Math.abs(elasticNet({ l1: 0.1, l2: 0.4 }).value(w).dataSync()[0] - (0.1 * abs + 0.2 * sq)) < 1e-5);
  assert.ok(Math.abs(l2(0.4).toTfjs().apply(w).dataSync()[0] - 0.2 * sq) < 1e-5, "tfjs l2({l2: alpha/2})");
  assert.ok(Math.abs(l2(0.4).asLayerRegularizer().apply(w).dataSync()[0] - 0.2 * sq) < 1e-5);
  // A layer accepts it, and it round-trips through serialization.
  const layer = tf.layers.dense({ units: 2, inputShape: [2], kernelRegularizer: l2(0.4).asLayerRegularizer() });
  const m = tf.sequential({ layers: [layer] });
  const json = m.toJSON(undefined, false) as unknown as object;
  assert.match(JSON.stringify(json), /BookNormRegularizer/);
  assert.throws(() => l2(-1), /l2 must be a finite number >= 0/);
  // eq. 7.5 helper
  const v = tf.variable(tf.tensor1d([2, -4]));
  weightDecayStep(v, tf.tensor1d([1, 1]), 0.1, 0.5);
  const got = Array.from(v.dataSync());
  [0.95 * 2 - 0.1, 0.95 * -4 - 0.1].forEach((e, i) => assert.ok(Math.abs(got[i] - e) < 1e-6));
  m.dispose();
  w.dispose();
  v.dispose();
});

test("SGDW and AdamW decay amounts match hand computation (kernels decayed, biases not)", async () => {
  await useBackend("cpu", { quiet: true });
  const lr = 0.1;
  const lambda = 0.5;
  const k0 = [[1, -2], [0.5, 3]];
  const b0 = [1, -1];
  const c = [[0.3, -0.7], [2, 0.1]];
  const make = () => ({ k: tf.variable(tf.tensor2d(k0)), b: tf.variable(tf.tensor1d(b0)) });
  const lossOf = (k: tf.Variable, b: tf.Variable) => () => tf.add(tf.sum(tf.mul(k, tf.tensor2d(c))), tf.sum(tf.mul(b, 2))) as tf.Scalar;
  // SGDW: w <- w - lr*lambda*w - lr*g
  {
    const { k, b } = make();
    const opt = new SGDW(lr, { weightDecay: lambda });
    opt.minimize(lossOf(k, b), false, [k, b]);
    const kk = Array.from(k.dataSync());
    k0.flat().forEach((w, i) => assert.ok(Math.abs(kk[i] - (w - lr * lambda * w - lr * c.flat()[i])) < 1e-6, `sgdw kernel ${i}`));
    const bb = Array.from(b.dataSync());
    b0.forEach((w, i) => assert.ok(Math.abs(bb[i] - (w - lr * 2)) < 1e-6, `sgdw bias ${i} not decayed`));
    opt.dispose();
    k.dispose();
    b.dispose();
  }
  // AdamW, two steps: decay, then Adam with bias-corrected moments (computed here in float64).
  {
    const { k, b } = make();
    const opt = new AdamW(lr, { weightDecay: lambda });
    const [b1, b2, eps] = [0.9, 0.999, 1e-7];
    const w = k0.flat();
    const m = w.map(() => 0);
    const v = w.map(() => 0);
    for (let t = 1; t <= 2; t++) {
      opt.minimize(lossOf(k, b), false, [k, b]);
      for (let i = 0; i < w.length; i++) {
        const g = c.flat()[i];
        w[i] -= lr * lambda * w[i];
        m[i] = b1 * m[i] + (1 - b1) * g;
        v[i] = b2 * v[i] + (1 - b2) * g * g;
        const mh = m[i] / (1 - b1 ** t);
        const vh = v[i] / (1 - b2 ** t);
        w[i] -= (lr * mh) / (Math.sqrt(vh) + eps);
      }
    }
    const kk = Array.from(k.dataSync());
    w.forEach((e, i) => assert.ok(Math.abs(kk[i] - e) < 1e-5, `adamw kernel ${i}: ${kk[i]} vs ${e}`));
    // Bias: pure Adam, 2 steps of ~lr*sign(g) each.
    const bb = Array.from(b.dataSync());
    b0.forEach((e, i) => assert.ok(Math.abs(bb[i] - (e - 2 * lr)) < 1e-5, `adamw bias ${i}`));
    opt.dispose();
    k.dispose();
    b.dispose();
  }
});

test("SGDW works inside model.fit: one step differs from plain SGD by exactly -lr*lambda*w0 on kernels", async () => {
  await useBackend("cpu", { quiet: true });
  const x = tf.tensor2d([[1, 2], [3, -1], [0.5, 0.5]]);
  const y = tf.tensor2d([[1], [0], [2]]);
  const run = async (opt: tf.Optimizer) => {
    seed(3);
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    const w0 = m.getWeights().map((t) => Array.from(t.dataSync()));
    m.compile({ optimizer: opt, loss: "meanSquaredError" });
    await m.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0 });
    const w1 = m.getWeights().map((t) => Array.from(t.dataSync()));
    m.dispose();
    return { w0, w1 };
  };
  const plain = await run(tf.train.sgd(0.1));
  const decayed = await run(new SGDW(0.1, { weightDecay: 0.3 }));
  assert.deepEqual(plain.w0, decayed.w0);
  decayed.w1[0].forEach((v, i) => assert.ok(Math.abs(v - (plain.w1[0][i] - 0.1 * 0.3 * plain.w0[0][i])) < 1e-6, `kernel ${i}`));
  decayed.w1[1].forEach((v, i) => assert.ok(Math.abs(v - plain.w1[1][i]) < 1e-7, `bias ${i}`));
  // Registered for serialization.
  assert.equal((tf.serialization.SerializationMap.getMap().classNameMap as Record<string, unknown>)["AdamW"] !== undefined, true);
  x.dispose();
  y.dispose();
});

test("weight decay on the d2l high-dimensional regression (v0.17 " +
  "setting), 3 seeds: ||w|| ~13.5 -> ~0.35, test loss >100x lower", async () => {
  await useBackend("cpu", { quiet: true });
  // d2l's squared loss is (y_hat - y)^2 / 2 and its penalty lambda/2 ||w||^2 (the book's convention).
  const halfSquared = (y: tf.Tensor, p: tf.Tensor) => tf.mul(0.5, tf.mean(tf.square(tf.sub(y, p)))) as tf.Scalar;
  for (const s of [1, 2, 3]) {
    const res: Record<string, { norm: number; test: number }> = {};
    for (const lambda of [0, 3]) {
      seed(s);
      const data = d2lLinear();
      const w = tf.variable(tf.randomNormal([200, 1]));
      const b = tf.variable(tf.zeros([1]));
      const ps: ParamSet = { params: [w, b], predict: (x) => tf.add(tf.matMul(x, w), b) };
      const h = await train(ps, data.train, {
        epochs: 100, batchSize: 5, optimizer: "sgd", learningRate: 0.003, loss: halfSquared, penalty: l2(lambda), validationData: data.test,
        progress: false
      });
      res[lambda] = { norm: tf.tidy(() => tf.norm(w).dataSync()[0]), test: h.last("val_loss")! };
      [w, b, data.train.x, data.train.y, data.test.x, data.test.y].forEach((t) => t.dispose());
    }
    // Ranges from the d2l runs recorded in the chapter notes (12-14.6 and 0.33-0.40), widened a little for our data draws.
    assert.ok(res[0].norm > 11 && res[0].norm < 16, `seed ${s}: ||w|| at lambda 0 = ${res[0].norm}`);
    assert.ok(res[3].norm > 0.3 && res[3].norm < 0.45, `seed ${s}: ||w|| at lambda 3 = ${res[3].norm}`);
    assert.ok(res[0].test > 100 * res[3].test, `seed ${s}: test loss ${res[0].test} vs ${res[3].test}`);
  }
});
