import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed, unseed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { relatedTasks } from "../../../src/data/related-tasks";

test("relatedTasks: shapes, task names, reproducible family and samples", async () => {
  await useBackend("cpu", { quiet: true });
  const f = relatedTasks({ tasks: 3, inputs: 5, latent: 2, seed: 7 });
  assert.deepEqual(f.names, ["task1", "task2", "task3"]);
  assert.equal(f.A.length, 2);
  assert.equal(f.A[0].length, 5);
  assert.equal(f.V.length, 3);
  const a = f.sample(10, 1);
  const b = f.sample(10, 1);
  assert.deepEqual(a.x.shape, [10, 5]);
  assert.deepEqual(Object.keys(a.y), f.names);
  assert.deepEqual(a.y.task2.shape, [10, 1]);
  assert.deepEqual(a.y.task3.arraySync(), b.y.task3.arraySync());
  assert.deepEqual(relatedTasks({ tasks: 3, inputs: 5, latent: 2, seed: 7 }).V, f.V);
  seed(3);
  const g1 = relatedTasks().A;
  seed(3);
  assert.deepEqual(relatedTasks().A, g1);
  unseed();
  const before = tf.memory().numTensors;
  a.dispose();
  b.dispose();
  assert.equal(tf.memory().numTensors, before - 8);
  assert.throws(() => relatedTasks({ tasks: 0 }), /tasks/);
});

test("relatedTasks: targets are v_t . (A x) plus noise of the given std (residual variance, float64)", async () => {
  await useBackend("cpu", { quiet: true });
  for (const nonlinear of [false, true]) {
    const f = relatedTasks({ tasks: 2, inputs: 4, latent: 2, noise: 0.2, nonlinear, seed: 11 });
    const s = f.sample(4000, 5);
    const X = s.x.arraySync() as number[][];
    f.names.forEach((name, t) => {
      const y = (s.y[name].arraySync() as number[][]).map((r) => r[0]);
      let ss = 0;
      X.forEach((x, i) => {
        const z = f.A.map((row) => row.reduce((acc, a, j) => acc + a * x[j], 0)).map(nonlinear ? Math.tanh : (u: number) => u);
        const mean = f.V[t].reduce((acc, v, j) => acc + v * z[j], 0);
        ss += (y[i] - mean) ** 2;
      });
      const sd = Math.sqrt(ss / X.length);
      assert.ok(Math.abs(sd - 0.2) < 0.01, `${name} (nonlinear ${nonlinear}): residual sd ${sd}`);
    });
    s.dispose();
  }
});
