import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train } from "../../../src/training/train";
import { maxNorm, unitNorm, nonNeg, constraintCallback, projectedGradientDescent, l2Ball } from "../../../src/regularizers/constraints";
import { mlp } from "../../../src/models/mlp";
import { blobs } from "../../../src/data/blobs";
import { oneHot } from "../../../src/data/one-hot";

/** Norms of a dense kernel's columns (each unit's incoming weights), in float64. */
function columnNorms(k: tf.Tensor): number[] {
  const [rows, cols] = k.shape;
  const v = k.dataSync();
  return Array.from({ length: cols }, (_, j) => Math.sqrt(
    Array.from({ length: rows }, (_, i) => v[i * cols + j] ** 2).reduce((a, b) => a + b, 0)
  ));
}

function kernels(m: tf.LayersModel): tf.Tensor[] {
  return m.trainableWeights.filter((w) => w.name.endsWith("kernel")).map((w) => w.read());
}

async function setup(s: number) {
  seed(s);
  const b = blobs({ n: 120, centers: 3, dims: 6, std: 2 });
  const y = oneHot(b.labels, 3);
  return { x: b.x, y, dispose: () => [b.x, b.y, y].forEach((t) => t.dispose()) };
}

const C = 1.5;
const model = () => mlp({
  inputs: 6, hidden: [32], outputs: 3, outputActivation: "softmax", kernelConstraint: tf.constraints.maxNorm({ maxValue: C, axis: 0 })
});

test("max-norm with a high learning rate: tfjs fit ignores " +
  "kernelConstraint, train and constraintCallback enforce it (3 seeds)", async () => {
  await useBackend("cpu", { quiet: true });
  for (const s of [1, 2, 3]) {
    const d = await setup(s);
    // tfjs model.fit: the constraint is silently ignored.
    seed(100 + s);
    const a = model();
    a.compile({ optimizer: tf.train.sgd(2), loss: "categoricalCrossentropy" });
    await a.fit(d.x, d.y, { epochs: 5, batchSize: 16, verbose: 0 });
    const fitMax = Math.max(...kernels(a).flatMap(columnNorms));
    assert.ok(fitMax > C * 1.5, `seed ${s}: fit left a norm of ${fitMax} (> ${C})`);
    // train applies the layers' own constraint after every update.
    seed(100 + s);
    const b = model();
    const normsSeen: number[] = [];
    await train(b, d, {
      epochs: 5,
      batchSize: 16,
      optimizer: "sgd",
      learningRate: 2,
      loss: "categoricalCrossentropy",
      progress: false,
      callbacks: { onBatchEnd: () => void normsSeen.push(...kernels(b).flatMap(columnNorms)) },
    });
    assert.ok(Math.max(...normsSeen) <= C * (1 + 1e-5), `seed ${s}: train max norm after any step ${Math.max(...normsSeen)}`);
    assert.ok(Math.max(...normsSeen) > C * 0.99, "the constraint was active");
    // fit + constraintCallback projects in onBatchEnd.
    seed(100 + s);
    const c = model();
    c.compile({ optimizer: tf.train.sgd(2), loss: "categoricalCrossentropy" });
    await c.fit(d.x, d.y, { epochs: 5, batchSize: 16, verbose: 0, callbacks: [constraintCallback(c)] });
    assert.ok(Math.max(...kernels(c).flatMap(columnNorms)) <= C * (1 + 1e-5));
    [a, b, c].forEach((m) => m.dispose());
    d.dispose();
  }
});

test("the constraints option: extra projections on chosen variables", async () => {
  await useBackend("cpu", { quiet: true });
  const d = await setup(4);
  seed(4);
  const m = mlp({ inputs: 6, hidden: [16], outputs: 3, outputActivation: "softmax" });
  await train(m, d, {
    epochs: 3, batchSize: 16, optimizer: "sgd", learningRate: 1, loss: "categoricalCrossentropy", progress: false,
    constraints: [maxNorm(0.5), { projection: nonNeg(), variables: /bias/ }]
  });
  kernels(m).forEach((k) => columnNorms(k).forEach((n) => assert.ok(n <= 0.5 * (1 + 1e-5), `norm ${n}`)));
  m.trainableWeights.filter((w) => w.name.endsWith("bias")).forEach((w) => assert.ok(Array.from(w.read().dataSync()).every((v) => v >= 0)));
  m.dispose();
  d.dispose();
});

test("projections: inside points unchanged, outside points land on the boundary, idempotent", () => {
  const w = tf.tensor2d([[3, 0.1], [4, 0.2]]); // column norms 5 and ~0.224
  const p = maxNorm(2).apply(w);
  const pv = Array.from(p.dataSync());
  assert.ok(Math.abs(pv[0] - 1.2) < 1e-6 && Math.abs(pv[2] - 1.6) < 1e-6, "column 1 scaled to norm 2");
  assert.equal(pv[1], w.dataSync()[1]);
  assert.equal(pv[3], w.dataSync()[3]);
  assert.deepEqual(Array.from(maxNorm(2).apply(p).dataSync()), pv, "idempotent");
  const u = columnNorms(unitNorm().apply(w));
  u.forEach((n) => assert.ok(Math.abs(n - 1) < 1e-6));
  assert.deepEqual(Array.from(nonNeg().apply(tf.tensor1d([-1, 2])).dataSync()), [0, 2]);
  assert.throws(() => maxNorm(-1), /maxNorm: c must be a finite number > 0/);
});

test("projected gradient descent on a 2-D quadratic stays in the ball and reaches the constrained optimum", () => {
  // f(x) = ||x - (2, 2)||^2, ball of radius 1: optimum (1, 1)/sqrt(2).
  const f = (x: tf.Tensor1D) => tf.sum(tf.square(tf.sub(x, tf.tensor1d([2, 2])))) as tf.Scalar;
  const path = projectedGradientDescent(f, [0, 0], l2Ball(1), { lr: 0.1, steps: 100 });
  assert.equal(path.length, 101);
  path.forEach((p) => assert.ok(Math.hypot(p[0], p[1]) <= 1 + 1e-6));
  const last = path[path.length - 1];
  assert.ok(Math.abs(last[0] - Math.SQRT1_2) < 1e-5 && Math.abs(last[1] - Math.SQRT1_2) < 1e-5, `${last}`);
});
