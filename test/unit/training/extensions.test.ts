/**
 * train's extension points: `augment` (a batch transform on training data
 * only), objective `terms` (prepared off the tape, valued on it, logged under
 * their own names), and onBatchBegin around every step. Default backend.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train, type ObjectiveTerm, type ParamSet, type TrainBatch } from "../../../src/training/train";

/** y = x w for one weight: the gradient of every term is known in closed form. */
let lines = 0;
function line(): ParamSet & { w: tf.Variable } {
  const w = tf.variable(tf.zeros([1, 1]), true, `line${lines++}/kernel`);
  return { w, params: [w], predict: (x) => tf.matMul(x, w) };
}

const data = () => ({ x: tf.tensor2d([[1], [2], [3], [4]]), y: tf.tensor2d([[2], [4], [6], [8]]) });

test("augment transforms every training batch, never the validation data", async () => {
  await useBackend();
  const m = line();
  const d = data();
  const seen: number[][] = [];
  const augment = (b: TrainBatch): TrainBatch => {
    seen.push(Array.from(b.x.dataSync()));
    return { x: tf.mul(b.x, 2), y: b.y };
  };
  const before = tf.memory().numTensors;
  const h = await train(m, d, {
    epochs: 3, batchSize: 2, shuffle: false, optimizer: "sgd", learningRate: 0.01, augment, validationData: d, progress: false
  });
  assert.equal(seen.length, 6, "two batches per epoch, three epochs");
  assert.deepEqual(seen[0], [1, 2]);
  // Trained on (2x, y): the fit tends to w = 1, not 2. Validation sees the raw x.
  assert.ok(Math.abs(m.w.dataSync()[0] - 1) < 0.3, `w = ${m.w.dataSync()[0]}`);
  assert.ok(h.metrics.val_loss.at(-1)! > 1, "validation loss is computed on untransformed x");
  assert.equal(tf.memory().numTensors, before, "no tensors leak");
  tf.dispose([m.w, d.x, d.y]);
});

test("augment errors are clear: wrong type, changed shape, multi-output", async () => {
  await useBackend();
  const m = line();
  const d = data();
  await assert.rejects(
    train(m, d, { epochs: 1, augment: 3 as unknown as () => TrainBatch, progress: false }), /augment must be a function/
  );
  await assert.rejects(
    train(m, d, { epochs: 1, batchSize: 2, augment: (b) => ({ x: b.x.slice(0, 1), y: b.y }), progress: false }),
    /augment returned x of shape \[1,1\] for a batch of shape \[2,1\]/,
  );
  const two: ParamSet = { params: [m.w], predict: (x) => [tf.matMul(x, m.w), tf.matMul(x, m.w)], outputNames: ["a", "b"] };
  await assert.rejects(
    train(two, { x: d.x, y: [d.y, d.y] }, { epochs: 1, augment: (b) => b, progress: false }), /single-output models; this one has 2 outputs/
  );
  tf.dispose([m.w, d.x, d.y]);
});

test("objective terms: prepared off the tape, minimized, logged separately; dataWeight scales J", async () => {
  await useBackend();
  seed(1);
  const d = data();
  // Omega = c * w^2 with c = 10 pulls w towards 0: w* = sum xy / (sum x^2 + 10 * n) with J = mean (xw - y)^2.
  const prepares: number[] = [];
  const pull: ObjectiveTerm<number> = {
    name: "pull",
    prepare: (ctx) => {
      prepares.push(ctx.step);
      return 10;
    },
    value: (ctx) => tf.mul(ctx.prepared, tf.sum(tf.square(m.w))) as tf.Scalar,
  };
  const m = line();
  const h = await train(m, d, {
    epochs: 400, batchSize: 4, shuffle: false, optimizer: "sgd", learningRate: 0.01, terms: pull, progress: false
  });
  // Full batch: J = (1/4) sum (x w - y)^2, grad J = (1/2) sum x (x w - y); grad term = 20 w. 0 = 15 w - 30 + 20 w.
  assert.ok(Math.abs(m.w.dataSync()[0] - 30 / 35) < 1e-3, `w = ${m.w.dataSync()[0]}, expected ${30 / 35}`);
  assert.deepEqual(prepares.slice(0, 3), [0, 1, 2], "prepare runs once per step with the global step count");
  const last = h.metrics;
  const i = last.loss.length - 1;
  assert.ok(Math.abs(last.total[i] - (last.loss[i] + last.penalty[i] + last.pull[i])) < 1e-5, "total = J + penalty + term");
  assert.ok(last.pull[i] > 0);
  // dataWeight 0.5 halves J's pull: 0 = 7.5 w - 15 + 20 w.
  const m2 = line();
  await train(m2, d, {
    epochs: 400, batchSize: 4, shuffle: false, optimizer: "sgd", learningRate: 0.01,
    terms: { ...pull, dataWeight: 0.5, value: (ctx) => tf.mul(10, tf.sum(tf.square(m2.w))) as tf.Scalar }, progress: false
  });
  assert.ok(Math.abs(m2.w.dataSync()[0] - 15 / 27.5) < 1e-3, `w = ${m2.w.dataSync()[0]}`);
  await assert.rejects(train(m2, d, { epochs: 1, terms: [pull, pull], progress: false }), /share the name "pull"/);
  tf.dispose([m.w, m2.w, d.x, d.y]);
});

test("terms get setup before and teardown after training, also when a step fails", async () => {
  await useBackend();
  const d = data();
  const m = line();
  const calls: string[] = [];
  const failing: ObjectiveTerm = {
    name: "boom",
    setup: () => calls.push("setup"),
    value: () => {
      throw new Error("term failed");
    },
    teardown: () => calls.push("teardown"),
  };
  const before = tf.memory().numTensors;
  await assert.rejects(train(m, d, { epochs: 1, terms: failing, progress: false }), /term failed/);
  assert.deepEqual(calls, ["setup", "teardown"]);
  assert.equal(tf.memory().numTensors, before, "a failing term leaks nothing");
  tf.dispose([m.w, d.x, d.y]);
});

test("onBatchBegin is called before every step", async () => {
  await useBackend();
  const d = data();
  const m = line();
  const events: string[] = [];
  await train(m, d, {
    epochs: 2,
    batchSize: 2,
    progress: false,
    callbacks: { onBatchBegin: (b) => void events.push(`begin ${b}`), onBatchEnd: (b) => void events.push(`end ${b}`) },
  });
  assert.deepEqual(events, ["begin 0", "end 0", "begin 1", "end 1", "begin 0", "end 0", "begin 1", "end 1"]);
  tf.dispose([m.w, d.x, d.y]);
});
