/**
 * Multitask learning's claim (7.7), over 3 seeds: a shared trunk beats
 * independent models when each related task has few samples. An effect test
 * (training, several seeds), so it lives with the integration tests; the
 * module's own tests are in test/unit/models/multitask.test.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed, unseed, rng } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { multitaskModel, independentModels, trainIndependent } from "../../../src/models/multitask";
import { train, evaluateModel } from "../../../src/training/train";

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
