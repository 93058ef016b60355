import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed, unseed, rng } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { multitaskModel, independentModels, trainIndependent } from "../../../src/models/multitask";
import { train, evaluateModel } from "../../../src/training/train";

const spec = {
  inputs: 4,
  shared: [8],
  heads: [
    { name: "a", units: 1 },
    { name: "b", units: 3, activation: "softmax" as const, hidden: [5] },
  ],
};

test("multitaskModel: shared trunk, heads named by task, independent baseline with the same shape", async () => {
  await useBackend("cpu", { quiet: true });
  seed(1);
  const m = multitaskModel(spec);
  assert.deepEqual(m.outputNames, ["a", "b"]);
  assert.deepEqual(m.layers.map((l) => l.name).sort(), ["a", "b", "b_hidden_1", "input", "shared_1"]);
  const outs = m.predict(tf.ones([2, 4])) as tf.Tensor[];
  assert.deepEqual(outs.map((o) => o.shape), [[2, 1], [2, 3]]);
  tf.dispose(outs);
  const ind = independentModels(spec);
  assert.deepEqual(Object.keys(ind), ["a", "b"]);
  assert.equal(ind.b.countParams(), 4 * 8 + 8 + 8 * 5 + 5 + 5 * 3 + 3);
  assert.equal(m.countParams(), 4 * 8 + 8 + 8 + 1 + 8 * 5 + 5 + 5 * 3 + 3);
  // Seeded: the same weights again.
  seed(1);
  const m2 = multitaskModel(spec);
  assert.deepEqual(m2.getWeights()[0].arraySync(), m.getWeights()[0].arraySync());
  assert.throws(() => multitaskModel({ ...spec, heads: [{ name: "a", units: 1 }, { name: "a", units: 1 }] }), /duplicate/);
  assert.throws(() => multitaskModel({ ...spec, heads: [{ name: "bad name", units: 1 }] }), /letters/);
  [m, m2, ...Object.values(ind)].forEach((x) => x.dispose());
  unseed();
});

/** Parameters after ONE full-batch SGD step of `train` with the given loss weights, from fixed initial weights. */
async function afterOneStep(
  init: tf.Tensor[], weights: Record<string, number>, x: tf.Tensor, y: Record<string, tf.Tensor>
): Promise<Float64Array[]> {
  const m = multitaskModel(spec);
  m.setWeights(init);
  await train(m, { x, y }, {
    epochs: 1,
    batchSize: x.shape[0],
    optimizer: "sgd",
    learningRate: 0.1,
    loss: { a: "mse", b: "categoricalCrossentropy" },
    lossWeights: weights,
    shuffle: false,
    progress: false,
  });
  const out = m.getWeights().map((w) => Float64Array.from(w.dataSync()));
  m.dispose();
  return out;
}

test("loss weights: weight 0 leaves a head untrained; the step is linear in the weights", async () => {
  await useBackend("cpu", { quiet: true });
  seed(2);
  const x = tf.randomNormal([16, 4]);
  const y = { a: tf.randomNormal([16, 1]), b: tf.tidy(() => tf.oneHot(tf.randomUniform([16], 0, 3, "int32"), 3)) };
  const base = multitaskModel(spec);
  const init = base.getWeights().map((w) => w.clone());
  const w0 = init.map((w) => Float64Array.from(w.dataSync()));
  const names = base.weights.map((w) => w.originalName);
  const onlyA = await afterOneStep(init, { a: 1, b: 0 }, x, y);
  const onlyB = await afterOneStep(init, { a: 0, b: 1 }, x, y);
  const mixed = await afterOneStep(init, { a: 2, b: 3 }, x, y);
  const moved = (p: Float64Array[], i: number) => p[i].some((v, j) => v !== w0[i][j]);
  names.forEach((name, i) => {
    const head = name.split("/")[0];
    if (head === "b" || head === "b_hidden_1") assert.ok(!moved(onlyA, i), `${name} must not change when b's weight is 0`);
    if (head === "a") assert.ok(!moved(onlyB, i), `${name} must not change when a's weight is 0`);
    if (head === "shared_1") assert.ok(moved(onlyA, i) && moved(onlyB, i));
    // SGD: delta(2, 3) = 2 delta(1, 0) + 3 delta(0, 1).
    mixed[i].forEach((v, j) => {
      const expected = w0[i][j] + 2 * (onlyA[i][j] - w0[i][j]) + 3 * (onlyB[i][j] - w0[i][j]);
      assert.ok(Math.abs(v - expected) < 1e-5, `${name}[${j}]: ${v} vs ${expected}`);
    });
  });
  tf.dispose([x, y.a, y.b, ...init]);
  base.dispose();
  unseed();
});

/** Related tasks: every target is a function of the same 2-D representation z = tanh(A x). */
function taskFamily(n: number, A: number[][], V: number[][], r: ReturnType<typeof rng>) {
  const d = A[0].length;
  const xs: number[][] = [];
  const ys: number[][] = V.map(() => []);
  const cls: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = Array.from({ length: d }, () => r.normal());
    const z = A.map((row) => Math.tanh(row.reduce((s, a, j) => s + a * x[j], 0)));
    V.forEach((v, t) => ys[t].push(v[0] * z[0] + v[1] * z[1] + r.normal(0, 0.1)));
    cls.push(z[0] - z[1] > 0 ? 1 : 0);
    xs.push(x);
  }
  return { xs, ys, cls };
}

test("shared trunk beats independent models with few samples per related task (3 seeds)", async () => {
  await useBackend("wasm", { quiet: true });
  const T = 6;
  const d = 10;
  for (const s of [1, 2, 3]) {
    seed(s);
    const r = rng();
    const A = Array.from({ length: 2 }, () => Array.from({ length: d }, () => r.normal(0, 0.5)));
    const V = Array.from({ length: T }, () => [r.normal(), r.normal()]);
    const tr = taskFamily(20, A, V, r);
    const te = taskFamily(500, A, V, r);
    const toData = (f: ReturnType<typeof taskFamily>) => {
      const y: Record<string, tf.Tensor> = {};
      f.ys.forEach((col, t) => (y[`t${t}`] = tf.tensor2d(col, [col.length, 1])));
      y.cls = tf.tensor2d(f.cls, [f.cls.length, 1]);
      return { x: tf.tensor2d(f.xs), y };
    };
    const train_ = toData(tr);
    const test_ = toData(te);
    const heads = [...V.map((_, t) => ({ name: `t${t}`, units: 1 })), { name: "cls", units: 1, activation: "sigmoid" as const }];
    const options = { inputs: d, shared: [2], heads, activation: "tanh" as const };
    const loss: Record<string, "mse" | "binaryCrossentropy"> = { cls: "binaryCrossentropy" };
    V.forEach((_, t) => (loss[`t${t}`] = "mse"));
    const common = { epochs: 400, batchSize: 20, optimizer: "adam" as const, learningRate: 0.02, loss, progress: false as const };
    const shared = multitaskModel(options);
    const h = await train(shared, train_, { ...common, metrics: { cls: ["accuracy"] } });
    const acc = h.metrics.cls_accuracy;
    assert.ok(acc && acc.length === common.epochs && acc[acc.length - 1] > 0.7, `per-task metric cls_accuracy: ${acc?.at(-1)}`);
    const ind = independentModels(options);
    await trainIndependent(ind, train_, common);
    const sharedLogs = await evaluateModel(shared, test_, { loss });
    let sharedMse = 0;
    let indMse = 0;
    for (let t = 0; t < T; t++) {
      sharedMse += sharedLogs[`t${t}_loss`] / T;
      const l = await evaluateModel(ind[`t${t}`], { x: test_.x, y: test_.y[`t${t}`] }, { loss: "mse" });
      indMse += l.loss / T;
    }
    assert.ok(sharedMse < indMse, `seed ${s}: shared test MSE ${sharedMse} vs independent ${indMse}`);
    [shared, ...Object.values(ind)].forEach((m) => m.dispose());
    tf.dispose([train_.x, test_.x, ...Object.values(train_.y), ...Object.values(test_.y)]);
  }
  unseed();
});
