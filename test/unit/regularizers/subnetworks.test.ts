import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { rng } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { enumerateSubnetworks, smallNetFromModel, type SmallNet } from "../../../src/regularizers/subnetworks";

function randomMatrix(r: ReturnType<typeof rng>, rows: number, cols: number, scale = 1): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => r.normal(0, scale)));
}

/** softmax(keep * W^T v + b), written out independently in float64. */
function scaledSoftmax(W: number[][], b: number[], v: number[], keep: number): number[] {
  const z = b.map((bj, j) => bj + keep * v.reduce((s, vi, i) => s + vi * W[i][j], 0));
  const m = Math.max(...z);
  const e = z.map((zj) => Math.exp(zj - m));
  const s = e.reduce((a, c) => a + c, 0);
  return e.map((ej) => ej / s);
}

const maxAbsDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i][j]))));

test("softmax regression: geometric mean over ALL masks equals softmax(keep W^T v + b) (eqs 7.56-7.66)", () => {
  const r = rng(2024);
  for (const [d, k, keep] of [
    [4, 3, 0.5],
    [6, 5, 0.5],
    [5, 3, 0.8],
  ] as const) {
    const W = randomMatrix(r, d, k, 1.5);
    const b = Array.from({ length: k }, () => r.normal());
    const x = randomMatrix(r, 7, d, 2);
    const res = enumerateSubnetworks({ layers: [{ W, b }] }, x, { keep });
    assert.equal(res.subnetworks, 2 ** d);
    const expected = x.map((v) => scaledSoftmax(W, b, v, keep));
    assert.ok(maxAbsDiff(res.geometricMean, expected) < 1e-12, `geometric vs weight scaling ${maxAbsDiff(res.geometricMean, expected)}`);
    assert.ok(maxAbsDiff(res.weightScaled, expected) < 1e-12);
    // The arithmetic mean is a different ensemble: it should not coincide.
    assert.ok(maxAbsDiff(res.arithmeticMean, expected) > 1e-4);
    for (const row of res.arithmeticMean) assert.ok(Math.abs(row.reduce((a, c) => a + c, 0) - 1) < 1e-12);
  }
});

test("with a hidden nonlinearity (2 inputs + 2 hidden -> 16 subnetworks) weight scaling is only approximate", () => {
  const r = rng(7);
  const net: SmallNet = {
    activation: "tanh",
    layers: [
      { W: randomMatrix(r, 2, 2), b: [r.normal(), r.normal()] },
      { W: randomMatrix(r, 2, 3), b: [r.normal(), r.normal(), r.normal()] },
    ],
  };
  const x = randomMatrix(r, 20, 2);
  const res = enumerateSubnetworks(net, x);
  assert.equal(res.droppableUnits, 4);
  assert.equal(res.subnetworks, 16);
  const diff = maxAbsDiff(res.geometricMean, res.weightScaled);
  assert.ok(diff > 1e-6, `expected a nonzero gap, got ${diff}`);
  assert.ok(diff < 0.2, `expected a small gap, got ${diff}`);
  // An independent brute force of the same ensemble for the first example.
  const v = x[0];
  const logGeo = [0, 0, 0];
  for (let m = 0; m < 16; m++) {
    const mu = [0, 1, 2, 3].map((i) => (m >> i) & 1);
    const xin = [v[0] * mu[0], v[1] * mu[1]];
    const h = [0, 1].map(
      (j) => Math.tanh(net.layers[0].b[j] + xin[0] * net.layers[0].W[0][j] + xin[1] * net.layers[0].W[1][j]) * mu[2 + j]
    );
    const z = [0, 1, 2].map((c) => net.layers[1].b[c] + h[0] * net.layers[1].W[0][c] + h[1] * net.layers[1].W[1][c]);
    const lse = Math.log(z.reduce((s, zc) => s + Math.exp(zc), 0));
    z.forEach((zc, c) => (logGeo[c] += (zc - lse) / 16));
  }
  const g = logGeo.map(Math.exp);
  const s = g.reduce((a, c) => a + c, 0);
  g.forEach((gc, c) => assert.ok(Math.abs(gc / s - res.geometricMean[0][c]) < 1e-12));
  assert.throws(() => enumerateSubnetworks(net, [[1, 2, 3]]), /features/);
  assert.throws(() => enumerateSubnetworks(net, x, { maxUnits: 3 }), /maxUnits/);
});

test("smallNetFromModel reads a tfjs dense softmax network", async () => {
  await useBackend("cpu", { quiet: true });
  const model = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [2], units: 2, activation: "relu" }), tf.layers.dense({ units: 3, activation: "softmax" })],
  });
  const net = smallNetFromModel(model);
  assert.equal(net.activation, "relu");
  assert.equal(net.layers.length, 2);
  const x = [[0.3, -1.2]];
  const res = enumerateSubnetworks(net, x, { keep: 0.999999 });
  const p = tf.tidy(() => (model.predict(tf.tensor2d(x)) as tf.Tensor).arraySync() as number[][]);
  assert.ok(maxAbsDiff(res.weightScaled, p) < 1e-4);
  model.dispose();
});
