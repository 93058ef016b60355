// `train` adds a pure L2 penalty's gradient alpha*w directly instead of
// differentiating alpha/2 ||w||^2. The same penalty given as a layer
// regularizer (BookNormRegularizer, which stays on the autodiff tape) must
// give bit-identical weights and logs, with dropout on, on cpu and wasm.
// Both runs use autodiff (`fastPath: {denseChain: false}`): the layer
// regularizer keeps the model off the hand-derived step anyway, and that
// step (equal to autodiff to float32 rounding, not bit for bit) has its own
// test in test/unit/training/dense-chain.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../src/backend";
import { seed } from "../../../src/random/seed";
import { mlp } from "../../../src/models/mlp";
import { train } from "../../../src/training/train";
import { l2, elasticNet } from "../../../src/regularizers/norm-penalties";

async function run(backend: "cpu" | "wasm", how: "penalty" | "layer", optimizer: "sgd" | "adam") {
  await useBackend(backend, { quiet: true });
  seed(7);
  const x = tf.randomNormal([96, 5]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 96 }, (_, i) => (i * 7) % 3), "int32"), 3);
  const alpha = 0.05;
  seed(3);
  const m = mlp({
    inputs: 5, hidden: [16, 8], outputs: 3, outputActivation: "softmax", dropout: 0.25,
    kernelRegularizer: how === "layer" ? l2(alpha).asLayerRegularizer() : undefined
  });
  const before = tf.memory().numTensors;
  const penalty = how === "penalty" ? l2(alpha) : undefined;
  const loss = "categoricalCrossentropy" as const;
  const options = { epochs: 3, batchSize: 32, optimizer, learningRate: 0.05, loss, penalty, progress: false };
  const h = await train(m, { x, y }, { ...options, fastPath: { denseChain: false } });
  const leaked = tf.memory().numTensors - before;
  const weights = m.getWeights().map((w) => Array.from(w.dataSync()));
  m.dispose();
  x.dispose();
  y.dispose();
  return { weights, penalty: h.metrics.penalty, total: h.metrics.total, leaked };
}

for (const backend of ["cpu", "wasm"] as const) {
  for (const optimizer of ["sgd", "adam"] as const) {
    test(`fused L2 gradient = autodiff of alpha/2 ||w||^2, bit for bit (${backend}, ${optimizer})`, async () => {
      const fused = await run(backend, "penalty", optimizer);
      const taped = await run(backend, "layer", optimizer);
      assert.equal(fused.leaked, 0, "tensors leaked by train");
      assert.ok(fused.penalty.every((p) => p > 0));
      assert.deepEqual(fused.penalty, taped.penalty);
      assert.deepEqual(fused.total, taped.total);
      assert.deepEqual(fused.weights, taped.weights);
    });
  }
}

test("an elastic-net penalty (L1 part) still goes through autodiff and differs from pure L2", async () => {
  await useBackend("cpu", { quiet: true });
  const once = async (pen: ReturnType<typeof l2>) => {
    seed(5);
    const m = mlp({ inputs: 2, hidden: [4], outputs: 1 });
    const x = tf.tensor2d([[1, 2], [3, -1], [0.5, 0.5], [-2, 1]]);
    const y = tf.tensor2d([[1], [0], [1], [0]]);
    await train(m, { x, y }, { epochs: 2, batchSize: 4, optimizer: "sgd", learningRate: 0.1, penalty: pen, progress: false });
    const w = Array.from(m.getWeights()[0].dataSync());
    m.dispose();
    x.dispose();
    y.dispose();
    return w;
  };
  const a = await once(l2(0.1));
  const b = await once(elasticNet({ l1: 0.1, l2: 0.1 }));
  assert.notDeepEqual(a, b);
});
