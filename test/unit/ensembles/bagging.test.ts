import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed, unseed, rng } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { Ensemble, bagging } from "../../../src/ensembles/bagging";
import { mlp } from "../../../src/models/mlp";
import type { ParamSet } from "../../../src/training/train";

/** A fixed "model" that returns the given probabilities whatever x is. */
function constant(p: number[][]): ParamSet {
  const v = tf.tidy(() => tf.variable(tf.tensor2d(p)));
  return { params: [v], predict: () => v.clone() };
}

test("combination rules: mean, renormalized geometric mean, majority vote (ties to lowest class), sigmoid members", async () => {
  await useBackend("cpu", { quiet: true });
  const members = [
    [[0.7, 0.2, 0.1], [0.2, 0.3, 0.5]],
    [[0.1, 0.8, 0.1], [0.3, 0.3, 0.4]],
    [[0.6, 0.3, 0.1], [0.1, 0.8, 0.1]],
  ];
  const ens = new Ensemble(members.map(constant));
  const x = tf.zeros([2, 1]);
  const before = tf.memory().numTensors;
  const read = <T>(t: tf.Tensor): T => {
    const v = t.arraySync() as T;
    t.dispose();
    return v;
  };
  const mean = read<number[][]>(ens.predictProba(x));
  const geo = read<number[][]>(ens.predictGeometric(x));
  const vote = read<number[]>(ens.predictVote(x));
  const all = ens.memberPredictions(x);
  assert.deepEqual(all.shape, [3, 2, 3]);
  all.dispose();
  for (let e = 0; e < 2; e++) {
    for (let c = 0; c < 3; c++) {
      const m = (members[0][e][c] + members[1][e][c] + members[2][e][c]) / 3;
      assert.ok(Math.abs(mean[e][c] - m) < 1e-6);
    }
    const g = [0, 1, 2].map((c) => Math.cbrt(members[0][e][c] * members[1][e][c] * members[2][e][c]));
    const s = g.reduce((a, b) => a + b, 0);
    g.forEach((gc, c) => assert.ok(Math.abs(geo[e][c] - gc / s) < 1e-5));
  }
  // Example 0: votes 0, 1, 0 -> 0. Example 1: votes 2, 2, 1 -> 2.
  assert.deepEqual(vote, [0, 2]);
  const tie = new Ensemble([constant([[0.1, 0.9]]), constant([[0.9, 0.1]])]);
  const x1 = tf.zeros([1, 1]);
  assert.deepEqual(read(tie.predictVote(x1)), [0]);
  // One sigmoid unit = two classes (1 - p, p).
  const sig = new Ensemble([constant([[0.8]]), constant([[0.2]]), constant([[0.9]])]);
  assert.deepEqual(read(sig.predictVote(x1)), [1]);
  const sg = read<number[][]>(sig.predictGeometric(x1));
  const g1 = Math.cbrt(0.8 * 0.2 * 0.9);
  const g0 = Math.cbrt(0.2 * 0.8 * 0.1);
  assert.ok(Math.abs(sg[0][1] - g1 / (g0 + g1)) < 1e-5);
  tie.dispose();
  sig.dispose();
  x1.dispose();
  assert.equal(tf.memory().numTensors, before, "no leaks");
  ens.dispose();
  x.dispose();
});

/** Two noisy interleaved moons, generated here. */
function moons(n: number, noise: number, r: ReturnType<typeof rng>): { x: number[][]; y: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const t = Math.PI * r.next();
    const p = c === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    x.push([p[0] + r.normal(0, noise), p[1] + r.normal(0, noise)]);
    y.push(c);
  }
  return { x, y };
}

test("bagging: the ensemble's test error is below its average member's (3 seeds)", async () => {
  await useBackend("wasm", { quiet: true });
  for (const s of [1, 2, 3]) {
    seed(s);
    const r = rng();
    const tr = moons(60, 0.35, r);
    const te = moons(1000, 0.35, r);
    const x = tf.tensor2d(tr.x);
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d(tr.y, "int32"), 2));
    const xt = tf.tensor2d(te.x);
    const before = tf.memory().numTensors;
    const ens = await bagging(() => mlp({ inputs: 2, hidden: [64, 64], outputs: 2, outputActivation: "softmax" }), { x, y }, {
      members: 9,
      epochs: 150,
      batchSize: 60,
      optimizer: "adam",
      learningRate: 0.02,
      loss: "categoricalCrossentropy",
      progress: false,
    });
    assert.equal(ens.size, 9);
    assert.equal(ens.samples.length, 9);
    const errorRate = (labels: ArrayLike<number>) => {
      let wrong = 0;
      for (let i = 0; i < te.y.length; i++) if (labels[i] !== te.y[i]) wrong++;
      return wrong / te.y.length;
    };
    const members = ens.memberPredictions(xt);
    const memberLabels = tf.tidy(() => tf.argMax(members, -1).arraySync() as number[][]);
    const memberErr = memberLabels.map(errorRate);
    const avgMember = memberErr.reduce((a, b) => a + b, 0) / memberErr.length;
    const proba = ens.predictProba(xt);
    const ensErr = errorRate(tf.tidy(() => tf.argMax(proba, -1).dataSync()));
    const vote = ens.predictVote(xt);
    const voteErr = errorRate(vote.dataSync());
    assert.ok(ensErr < avgMember, `seed ${s}: ensemble ${ensErr} vs average member ${avgMember} (${memberErr})`);
    assert.ok(voteErr < avgMember, `seed ${s}: vote ${voteErr} vs average member ${avgMember}`);
    tf.dispose([members, proba, vote]);
    ens.dispose();
    assert.equal(tf.memory().numTensors, before, "bagging must not leak");
    tf.dispose([x, y, xt]);
  }
  unseed();
});
