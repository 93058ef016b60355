/**
 * `train` validates data against the model before any work: input and
 * target shapes (batch axis ignored), row counts, sparse labels, loss and
 * metric names. Every error names both shapes and the input/output, and
 * says what to do. Correct calls still train, and rejected calls leak no
 * tensors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train, type ParamSet } from "../../../src/training/train";
import { mlp } from "../../../src/models/mlp";

const quiet = { progress: false as const };

function oneOutput(): tf.Sequential {
  seed(1);
  return mlp({ inputs: 3, hidden: [4], outputs: 1 });
}

/** Runs `f` and checks that it leaks no tensors (the rejected calls must clean up). */
async function noLeak(what: string, f: () => Promise<void>): Promise<void> {
  const before = tf.memory().numTensors;
  await f();
  assert.equal(tf.memory().numTensors, before, `${what}: tensors leaked`);
}

test("shape errors name both shapes, the output/input and what to do (LayersModel)", async () => {
  await useBackend("cpu", { quiet: true });
  const m = oneOutput();
  const outName = m.outputNames.length ? m.outputNames[0] : m.outputs[0].name.split("/")[0];
  const inName = m.inputs[0].name;
  const t = (shape: number[]) => tf.ones(shape);
  const [x, y, y2, x4, x1, y9, y3d, vx, vy2, vx2, vy, vy4] = [
    [10, 3], [10, 1], [10, 2], [10, 4], [10], [9, 1], [10, 1, 1], [5, 3], [5, 2], [5, 2], [5, 1], [4, 1],
  ].map(t);
  await noLeak("rejected calls", async () => {
    // The audit's case: a 2-column target for a 1-unit output used to broadcast silently.
    await assert.rejects(
      train(m, { x, y: y2 }, { loss: "meanSquaredError", ...quiet }),
      new RegExp(
        `train data: y has shape \\[10,2\\] but the model's output '${outName}' has shape \\[null,1\\]: one column per output unit`
      ),
    );
    // A wrong x width used to give a tfjs-internal stack.
    await assert.rejects(
      train(m, { x: x4, y }, quiet),
      new RegExp(
        `x has shape \\[10,4\\] but the model's input '${inName}' has shape \\[null,3\\]: one column per input feature ` +
          `\\(the model was built with inputShape \\[3\\]\\)`
      ),
    );
    await assert.rejects(train(m, { x: x1, y }, quiet), /x has shape \[10\] but .* has shape \[null,3\]: x must have rank 2/);
    await assert.rejects(
      train(m, { x, y: y9 }, quiet),
      /train data: x has 10 rows but the target for output '.+' has 9 \(x: \[10,3\], y: \[9,1\]\): x and y need one row per example/
    );
    await assert.rejects(train(m, { x, y: y3d }, quiet), /y has shape \[10,1,1\] but .* \[null,1\]: y must have rank 2/);
    // Validation data: same checks, named as such.
    await assert.rejects(
      train(m, { x, y }, { validationData: { x: vx, y: vy2 }, ...quiet }),
      /validationData: y has shape \[5,2\] but the model's output '.+' has shape \[null,1\]/
    );
    await assert.rejects(
      train(m, { x, y }, { validationData: { x: vx2, y: vy }, ...quiet }), /validationData: x has shape \[5,2\] but the model's input/
    );
    await assert.rejects(
      train(m, { x, y }, { validationData: { x: vx, y: vy4 }, ...quiet }), /validationData: x has 5 rows but the target .* has 4/
    );
  });
  tf.dispose([x, y, y2, x4, x1, y9, y3d, vx, vy2, vx2, vy, vy4]);
  m.dispose();
});

test("class targets: integer labels vs one-hot, with the loss to use", async () => {
  await useBackend("cpu", { quiet: true });
  seed(2);
  const m = mlp({ inputs: 2, hidden: [4], outputs: 3, outputActivation: "softmax" });
  const x = tf.randomNormal([6, 2]);
  const labels = tf.tensor1d([0, 1, 2, 2, 1, 0], "int32");
  const onehot = tf.oneHot(labels, 3);
  const bad = tf.tensor1d([0, 1, 3, 2, 1, 0], "int32");
  const frac = tf.tensor1d([0, 1, 1.5, 2, 1, 0]);
  await noLeak("rejected class targets", async () => {
    await assert.rejects(
      train(m, { x, y: labels }, { loss: "categoricalCrossentropy", ...quiet }),
      new RegExp(
        /y has shape \[6\] but the model's output '.+' has shape \[null,3\]: these look like integer class labels: /.source +
          /use loss "sparseCategoricalCrossentropy", or one-hot encode them \(tf.oneHot\(labels, 3\)\)/.source,
      ),
    );
    await assert.rejects(
      train(m, { x, y: onehot }, { loss: "sparseCategoricalCrossentropy", ...quiet }),
      new RegExp(
        /y has shape \[6,3\] .* \[null,3\]: sparseCategoricalCrossentropy takes integer class labels of shape \[n\] or \[n,1\]; /.source +
          /for one-hot targets use loss "categoricalCrossentropy"/.source,
      ),
    );
    await assert.rejects(
      train(m, { x, y: bad }, { loss: "sparseCategoricalCrossentropy", ...quiet }), /holds 3 at row 2: .*integer class labels 0\.\.2/
    );
    await assert.rejects(train(m, { x, y: frac }, { loss: "sparseCategoricalCrossentropy", ...quiet }), /holds 1.5 at row 2/);
  });
  tf.dispose([bad, frac]);
  // Accepted forms: [n] and [n,1] labels give the same loss as one-hot + categorical (same init, no shuffle).
  const run = async (y: tf.Tensor, loss: "sparseCategoricalCrossentropy" | "categoricalCrossentropy") => {
    seed(3);
    const model = mlp({ inputs: 2, hidden: [4], outputs: 3, outputActivation: "softmax" });
    const h = await train(model, { x, y }, {
      loss, epochs: 3, batchSize: 6, shuffle: false, optimizer: "sgd", learningRate: 0.1, ...quiet
    });
    model.dispose();
    return h.metrics.loss;
  };
  const col = labels.reshape([6, 1]);
  const ref = await run(onehot, "categoricalCrossentropy");
  for (const [name, y] of [["[n]", labels], ["[n,1]", col]] as const) {
    const got = await run(y, "sparseCategoricalCrossentropy");
    got.forEach((v, i) => assert.ok(Math.abs(v - ref[i]) < 1e-6, `${name} epoch ${i}: ${v} vs ${ref[i]}`));
  }
  tf.dispose([x, labels, onehot, col]);
  m.dispose();
});

test("y of shape [n] for a one-unit output is taken as [n,1] (as model.fit does), not broadcast to [n,n]", async () => {
  await useBackend("cpu", { quiet: true });
  seed(4);
  const x = tf.randomNormal([8, 3]);
  const y = tf.randomNormal([8]);
  const y2 = y.reshape([8, 1]);
  const run = async (target: tf.Tensor) => {
    const m = oneOutput();
    const h = await train(m, { x, y: target }, { epochs: 2, batchSize: 4, shuffle: false, ...quiet });
    m.dispose();
    return h.metrics.loss;
  };
  const before = tf.memory().numTensors;
  const a = await run(y);
  assert.equal(tf.memory().numTensors, before, "the [n,1] view is disposed");
  const b = await run(y2);
  assert.deepEqual(a, b);
  // Independent check of the first batch's loss: mean squared error of the
  // initial model on rows 0..3, computed directly (a broadcast [4,4]
  // difference would give a different number).
  const m = oneOutput();
  const direct = tf.tidy(() => tf.mean(tf.square(tf.sub(m.predict(x.slice(0, 4)) as tf.Tensor, y2.slice(0, 4)))).dataSync()[0]);
  const [x4, y4] = [x.slice(0, 4), y.slice(0, 4)];
  const h = await train(m, { x: x4, y: y4 }, { epochs: 1, batchSize: 4, shuffle: false, ...quiet });
  assert.ok(Math.abs(h.metrics.loss[0] - direct) < 1e-6, `${h.metrics.loss[0]} vs ${direct}`);
  m.dispose();
  tf.dispose([x, y, y2, x4, y4]);
});

test("unknown loss and metric names list the valid ones", async () => {
  await useBackend("cpu", { quiet: true });
  const m = oneOutput();
  const x = tf.ones([4, 3]);
  const y = tf.ones([4, 1]);
  await assert.rejects(
    train(m, { x, y }, { loss: "meanSquaredErorr" as never, ...quiet }),
    /Unknown loss "meanSquaredErorr".*mse, meanSquaredError, mae.*sparseCategoricalCrossentropy/
  );
  await assert.rejects(train(m, { x, y }, { metrics: ["f1" as never], ...quiet }), /Unknown metric "f1".*accuracy, mse, mae/);
  tf.dispose([x, y]);
  m.dispose();
});

test("multi-output models: the error names the output", async () => {
  await useBackend("cpu", { quiet: true });
  seed(5);
  const input = tf.input({ shape: [3], name: "features" });
  const h = tf.layers.dense({ units: 4, activation: "relu" }).apply(input) as tf.SymbolicTensor;
  const a = tf.layers.dense({ units: 1, name: "price" }).apply(h) as tf.SymbolicTensor;
  const b = tf.layers.dense({ units: 2, activation: "softmax", name: "kind" }).apply(h) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: [a, b] });
  const x = tf.ones([5, 3]);
  const price = tf.ones([5, 1]);
  const kind = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 0, 1, 1], "int32"), 2));
  await noLeak("multi-output", async () => {
    await assert.rejects(
      train(m, { x, y: { price, kind: price } }, { loss: { price: "mse", kind: "categoricalCrossentropy" }, ...quiet }),
      new RegExp(
        /the target for output 'kind' has shape \[5,1\] but the model's output 'kind' has shape \[null,2\]: /.source +
          /these look like integer class labels/.source,
      ),
    );
  });
  const hist = await train(m, { x, y: { price, kind } }, { loss: { price: "mse", kind: "categoricalCrossentropy" }, epochs: 2, ...quiet });
  assert.ok(hist.metrics.loss.every(Number.isFinite));
  tf.dispose([x, price, kind]);
  m.dispose();
});

test("parameter sets: output shapes are checked at the first step, without leaks", async () => {
  await useBackend("cpu", { quiet: true });
  seed(6);
  const w = tf.variable(tf.randomNormal([3, 1]));
  const ps: ParamSet = { params: [w], predict: (x) => tf.matMul(x, w) };
  const x = tf.randomNormal([10, 3]);
  const y2 = tf.ones([10, 2]);
  const y1 = tf.ones([10]);
  await noLeak("parameter set", async () => {
    await assert.rejects(
      train(ps, { x, y: y2 }, quiet),
      /y has shape \[10,2\] but the model's output 'output' has shape \[null,1\]: one column per output unit/
    );
    await assert.rejects(train(ps, { x, y: y1 }, quiet), /reshape y to \[n,1\]/);
  });
  tf.dispose([y1, y2]);
  const y = tf.matMul(x, tf.tensor2d([[1], [-2], [0.5]]));
  const h = await train(ps, { x, y }, { epochs: 30, batchSize: 10, optimizer: "sgd", learningRate: 0.1, ...quiet });
  assert.ok(h.metrics.loss[29] < h.metrics.loss[0] / 10, `loss ${h.metrics.loss[0]} -> ${h.metrics.loss[29]}`);
  tf.dispose([w, x, y]);
});

test("a correct call still trains and leaks nothing", async () => {
  await useBackend("cpu", { quiet: true });
  const m = oneOutput();
  seed(7);
  const x = tf.randomNormal([32, 3]);
  const y = tf.sum(x, 1, true);
  const vx = tf.randomNormal([8, 3]);
  const vy = tf.sum(vx, 1, true);
  const before = tf.memory().numTensors;
  const h = await train(m, { x, y }, {
    epochs: 40, batchSize: 8, optimizer: "adam", learningRate: 0.02, validationData: { x: vx, y: vy }, ...quiet
  });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(h.metrics.loss[39] < h.metrics.loss[0] / 4, `loss ${h.metrics.loss[0]} -> ${h.metrics.loss[39]}`);
  assert.ok(Number.isFinite(h.metrics.val_loss[39]));
  tf.dispose([x, y, vx, vy]);
  m.dispose();
});
