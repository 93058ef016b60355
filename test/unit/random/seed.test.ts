import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { seed, getSeed, unseed, rng } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { REPO_ROOT } from "../../support/paths";

const root = REPO_ROOT;

/** A small model trained with fit: exercises initializers, shuffling and dropout. */
const script = `
const r = require(${JSON.stringify(path.join(root, "dist/src/index.js"))});
const tf = r.tf;
(async () => {
  await r.useBackend("cpu", { quiet: true });
  r.seed(7);
  const x = tf.randomNormal([64, 4]);
  const y = tf.randomUniform([64, 1]);
  const m = tf.sequential({ layers: [
    tf.layers.dense({ inputShape: [4], units: 8, activation: "relu" }),
    tf.layers.dropout({ rate: 0.5 }),
    tf.layers.dense({ units: 1 }) ] });
  m.compile({ optimizer: "sgd", loss: "meanSquaredError" });
  const h = await m.fit(x, y, { epochs: 3, batchSize: 16, shuffle: true, verbose: 0 });
  const g = r.rng();
  process.stdout.write(JSON.stringify({ loss: h.history.loss, w: Array.from(m.getWeights()[0].dataSync()).slice(0, 4), ` +
  `g: [g.next(), g.normal()] }));
})();`;

test("seed gives bit-identical training across two processes", () => {
  const run = () => execFileSync(process.execPath, ["-e", script], { encoding: "utf8" });
  const a = run();
  const b = run();
  assert.equal(a, b);
  const parsed = JSON.parse(a) as { loss: number[] };
  assert.equal(parsed.loss.length, 3);
});

test("seed makes tfjs random ops repeat, and different seeds differ", async () => {
  await useBackend("cpu", { quiet: true });
  seed(1);
  const a = tf.randomNormal([5]).arraySync();
  seed(1);
  const b = tf.randomNormal([5]).arraySync();
  seed(2);
  const c = tf.randomNormal([5]).arraySync();
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(getSeed(), 2);
  unseed();
  assert.equal(getSeed(), null);
});

test("unseeded dropout masks change from call to call but repeat after reseeding", async () => {
  await useBackend("cpu", { quiet: true });
  const ones = tf.ones([200]);
  const mask = () => Array.from(tf.dropout(ones, 0.5).dataSync());
  seed(3);
  const first = [mask(), mask()];
  seed(3);
  const second = [mask(), mask()];
  assert.notDeepEqual(first[0], first[1], "two steps must draw different masks");
  assert.deepEqual(first, second, "the same seed must give the same sequence of masks");
  unseed();
});

test("rng: ranges, normal moments, argument checks", () => {
  const g = rng(123);
  let sum = 0;
  let sq = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const u = g.next();
    assert.ok(u >= 0 && u < 1);
    const z = g.normal();
    sum += z;
    sq += z * z;
  }
  assert.ok(Math.abs(sum / n) < 0.05, `mean ${sum / n}`);
  assert.ok(Math.abs(sq / n - 1) < 0.05, `variance ${sq / n}`);
  for (let i = 0; i < 1000; i++) {
    const k = g.int(7);
    assert.ok(Number.isInteger(k) && k >= 0 && k < 7);
    assert.ok(g.seed() >= 1);
  }
  assert.throws(() => g.int(0), /positive integer/);
  assert.throws(() => seed(1.5), /integer/);
  assert.deepEqual([rng(5).next(), rng(5).next()], [rng(5).next(), rng(5).next()]);
});
