// tyingPenalty: Omega = alpha/2 ||w(A) - w(B)||^2 (book sec. 7.9), its value
// and gradient in closed form and by finite differences, its use in train
// between two layers of one model and towards a fixed second model, errors.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../src/backend";
import { seed, unseed } from "../../../src/random/seed";
import { tyingPenalty } from "../../../src/regularizers/parameter-tying";
import { train } from "../../../src/training/train";

const gap = (a: tf.layers.Layer, b: tf.layers.Layer) =>
  tf.tidy(() => tf.norm(tf.sub(a.getWeights()[0], b.getWeights()[0])).dataSync()[0]);

test("value is alpha/2 * sum (a - b)^2 over kernels, and the gradient is alpha (a - b) on A, its negative on B", async () => {
  await useBackend(undefined, { quiet: true });
  const a = tf.variable(tf.tensor2d([[1, 2], [3, 4]]), true, "ta/kernel");
  const b = tf.variable(tf.tensor2d([[0, 2], [5, 1]]), true, "tb/kernel");
  const ba = tf.variable(tf.tensor1d([1, 1]), true, "ta/bias");
  const bb = tf.variable(tf.tensor1d([0, 0]), true, "tb/bias");
  const p = tyingPenalty([a, ba], [b, bb], 0.5);
  const v = p.value();
  assert.ok(Math.abs(v.dataSync()[0] - (0.5 / 2) * (1 + 0 + 4 + 9)) < 1e-6, "kernels only by default");
  v.dispose();
  const withBias = tyingPenalty([a, ba], [b, bb], 0.5, { includeBiases: true }).value();
  assert.ok(Math.abs(withBias.dataSync()[0] - 0.25 * (14 + 2)) < 1e-6);
  withBias.dispose();
  const { grads } = tf.variableGrads(() => p.value(), [a, b]);
  assert.deepEqual(Array.from(grads[a.name].dataSync()), [0.5, 0, -1, 1.5]);
  assert.deepEqual(Array.from(grads[b.name].dataSync()), [-0.5, 0, 1, -1.5]);
  tf.dispose(Object.values(grads));
  // Central finite difference on one entry of A (the penalty is quadratic: exact up to rounding).
  const eps = 1e-2;
  const at = (delta: number) => {
    a.assign(tf.tensor2d([[1, 2], [3 + delta, 4]]));
    const t = p.value();
    const out = t.dataSync()[0];
    t.dispose();
    return out;
  };
  const fd = (at(eps) - at(-eps)) / (2 * eps);
  assert.ok(Math.abs(fd - -1) < 1e-3, `finite difference ${fd} vs -1`);
  tf.dispose([a, b, ba, bb]);
});

function threeLayers(): tf.Sequential {
  const m = tf.sequential();
  m.add(tf.layers.dense({ inputShape: [4], units: 4, activation: "tanh" }));
  m.add(tf.layers.dense({ units: 4, activation: "tanh" }));
  m.add(tf.layers.dense({ units: 1 }));
  return m;
}

test("in train's penalty option the tie pulls two layers of one model together, and a model towards a fixed one", async () => {
  await useBackend(undefined, { quiet: true });
  seed(5);
  const x = tf.randomNormal([64, 4]);
  const y = tf.sum(x, 1, true);
  const gaps: Record<string, number> = {};
  for (const alpha of [0, 1]) {
    seed(6);
    const m = threeLayers();
    const start = gap(m.layers[0], m.layers[1]);
    const penalty = tyingPenalty(m.layers[0], m.layers[1], alpha);
    const h = await train(m, { x, y }, { epochs: 30, batchSize: 16, optimizer: "sgd", learningRate: 0.05, penalty, progress: false });
    gaps[alpha] = gap(m.layers[0], m.layers[1]) / start;
    if (alpha > 0) assert.ok(h.metrics.penalty[0] > 0, "the penalty is logged");
    m.dispose();
  }
  assert.ok(gaps[1] < 0.5 * gaps[0], `tied layers' kernel gap shrank to ${gaps[1]} of its start, untied ${gaps[0]}`);

  // Towards a fixed reference model: only the trained one moves.
  seed(7);
  const ref = threeLayers();
  const m = threeLayers();
  const refBefore = ref.getWeights().map((w) => w.dataSync().slice());
  const before = gap(m.layers[0], ref.layers[0]);
  const penalty = tyingPenalty(m, ref, 2);
  await train(m, { x, y }, { epochs: 30, batchSize: 16, optimizer: "sgd", learningRate: 0.05, penalty, progress: false });
  assert.ok(gap(m.layers[0], ref.layers[0]) < 0.5 * before, "the trained model moved towards the reference");
  ref.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), refBefore[i], "the reference did not move"));
  tf.dispose([x, y]);
  m.dispose();
  ref.dispose();
  unseed();
});

test("tying errors name what does not match", () => {
  const a = threeLayers();
  assert.throws(() => tyingPenalty(a.layers[0], a.layers[2], 1).value(), /shape \[4,4\] but .* has \[4,1\]/);
  assert.throws(() => tyingPenalty(a.layers[0], a.layers[1], -1), /alpha must be a finite number >= 0/);
  assert.throws(() => tyingPenalty(a.layers[0], a.layers[0], 1), /the same object/);
  assert.throws(() => tyingPenalty(tf.layers.dense({ units: 2 }), a.layers[1], 1).value(), /has no weights yet/);
  a.dispose();
});
