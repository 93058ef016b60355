import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed, unseed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import {
  dropout,
  spatialDropout2d,
  weightScale,
  dropoutLayer,
  spatialDropout2dLayer,
  DropoutLayer,
} from "../../../src/regularizers/dropout";
import { mcDropoutPredict, weightScalingPredict } from "../../../src/regularizers/mc-dropout";

test("inverted dropout: kept units scaled by 1/keep, drop fraction ~ rate, E[x~] = x", async () => {
  await useBackend("cpu", { quiet: true });
  seed(11);
  const before = tf.memory().numTensors;
  const n = 20000;
  const x = tf.fill([n], 3);
  const y = dropout(x, 0.3);
  const v = y.dataSync();
  let zeros = 0;
  let sum = 0;
  for (const e of v) {
    if (e === 0) zeros++;
    else assert.ok(Math.abs(e - 3 / 0.7) < 1e-5, `kept value ${e}`);
    sum += e;
  }
  // Binomial sd of the zero fraction: sqrt(.3*.7/n) ~ 0.0032; 5 sd.
  assert.ok(Math.abs(zeros / n - 0.3) < 0.017, `zero fraction ${zeros / n}`);
  assert.ok(Math.abs(sum / n - 3) < 0.1, `mean ${sum / n}`);
  // Non-inverted: kept units unchanged.
  const zt = dropout(x, 0.5, { inverted: false });
  assert.ok(zt.dataSync().every((e) => e === 0 || e === 3));
  tf.dispose([x, y, zt]);
  assert.equal(tf.memory().numTensors, before);
  unseed();
});

test("dropout: noiseShape shares one draw along size-1 axes; bad input is refused", async () => {
  await useBackend("cpu", { quiet: true });
  seed(12);
  const x = tf.ones([50, 8]);
  const y = dropout(x, 0.5, { noiseShape: [50, 1] }).arraySync() as number[][];
  for (const row of y) assert.ok(row.every((e) => e === row[0]), "a row must be all kept or all dropped");
  assert.throws(() => dropout(x, 0.5, { noiseShape: [50, 3] }), /does not broadcast/);
  assert.throws(() => dropout(x, 1), /\[0, 1\)/);
  assert.throws(() => dropout(x, -0.1), /DROP probability/);
  tf.dispose(x);
  unseed();
});

test("spatialDropout2d drops whole NHWC channels, function and layer", async () => {
  await useBackend("cpu", { quiet: true });
  seed(13);
  const x = tf.ones([20, 4, 4, 16]);
  for (const y of [spatialDropout2d(x, 0.5), spatialDropout2dLayer({ rate: 0.5 }).apply(x, { training: true }) as tf.Tensor]) {
    const a = y.arraySync() as number[][][][];
    let dropped = 0;
    for (let n = 0; n < 20; n++) {
      for (let c = 0; c < 16; c++) {
        const vals = a[n].flatMap((r) => r.map((p) => p[c]));
        assert.ok(vals.every((v) => v === vals[0]), "a channel map is dropped or kept as a whole");
        assert.ok(vals[0] === 0 || Math.abs(vals[0] - 2) < 1e-6);
        if (vals[0] === 0) dropped++;
      }
    }
    assert.ok(dropped > 100 && dropped < 220, `dropped ${dropped} of 320 maps`);
    // The mask is not shared across examples.
    assert.notDeepEqual(a[0].map((r) => r[0]), a[1].map((r) => r[0]));
    y.dispose();
  }
  assert.throws(() => spatialDropout2d(tf.ones([2, 3]), 0.5), /rank 4/);
  assert.deepEqual(weightScale(tf.tensor([2, 4]), 0.5).arraySync(), [1, 2]);
  x.dispose();
  unseed();
});

/** Records the mask (output / input) every time it runs in training mode. */
class RecordingDropout extends DropoutLayer {
  static override readonly className: string = "TestRecordingDropout";
  readonly masks: number[][] = [];
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor {
    const out = super.call(inputs, kwargs);
    if (kwargs["training"] === true) this.masks.push(Array.from(out.dataSync()).map((v) => (v === 0 ? 0 : 1)));
    return out;
  }
}

async function masksDuringFit(s: number): Promise<number[][]> {
  seed(s);
  const rec = new RecordingDropout({ rate: 0.5, inputShape: [6] });
  const model = tf.sequential({ layers: [rec, tf.layers.dense({ units: 1 })] });
  model.compile({ optimizer: "sgd", loss: "meanSquaredError" });
  const x = tf.ones([8, 6]);
  const y = tf.zeros([8, 1]);
  await model.fit(x, y, { epochs: 4, batchSize: 8, verbose: 0 });
  // predict and evaluate must not drop anything.
  const p = model.predict(x) as tf.Tensor;
  const w = model.layers[1].getWeights();
  const expected = tf.tidy(() => tf.matMul(x, w[0]).add(w[1]));
  assert.ok(tf.tidy(() => tf.max(tf.abs(p.sub(expected))).dataSync()[0]) < 1e-5, "predict is the identity pass");
  tf.dispose([x, y, p, expected]);
  model.dispose();
  return rec.masks;
}

test("dropoutLayer: fresh mask every training step in fit, and the sequence repeats after seed(n)", async () => {
  await useBackend("cpu", { quiet: true });
  const a = await masksDuringFit(21);
  const b = await masksDuringFit(21);
  const c = await masksDuringFit(22);
  assert.equal(a.length, 4, "one mask per step");
  for (let i = 1; i < a.length; i++) assert.notDeepEqual(a[i], a[0], `step ${i} reused step 0's mask`);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  unseed();
});

test("per-layer rates with input dropout; serialization round trip keeps the rates", async () => {
  await useBackend("cpu", { quiet: true });
  seed(31);
  const model = tf.sequential({
    layers: [
      dropoutLayer({ rate: 0.2, inputShape: [400] }),
      tf.layers.dense({
        units: 400, activation: "relu", kernelInitializer: "identity", biasInitializer: tf.initializers.constant({ value: 1 })
      }),
      dropoutLayer({ rate: 0.5 }),
    ],
  });
  const x = tf.ones([10, 400]);
  const zeroFrac = (t: tf.Tensor) => tf.tidy(() => t.equal(0).toFloat().mean().dataSync()[0]);
  const h0 = model.layers[0].apply(x, { training: true }) as tf.Tensor;
  const h1 = model.layers[1].apply(h0) as tf.Tensor;
  const h2 = model.layers[2].apply(h1, { training: true }) as tf.Tensor;
  assert.ok(Math.abs(zeroFrac(h0) - 0.2) < 0.03, `input drop ${zeroFrac(h0)}`);
  assert.ok(Math.abs(zeroFrac(h2) - 0.5) < 0.03, `hidden drop ${zeroFrac(h2)}`);
  const topology = model.toJSON(undefined, false) as tf.io.ModelJSON["modelTopology"];
  const restored = await tf.models.modelFromJSON({ modelTopology: topology });
  const rates = restored.layers.filter((l) => l instanceof DropoutLayer).map((l) => (l as DropoutLayer).rate);
  assert.deepEqual(rates, [0.2, 0.5]);
  tf.dispose([x, h0, h1, h2]);
  model.dispose();
  restored.dispose();
  unseed();
});

test("mcDropoutPredict: T passes with dropout on; mean near weight scaling for a linear model; no leaks", async () => {
  await useBackend("cpu", { quiet: true });
  seed(41);
  const model = tf.sequential({ layers: [dropoutLayer({ rate: 0.5, inputShape: [30] }), tf.layers.dense({ units: 2 })] });
  const x = tf.randomNormal([5, 30]);
  const before = tf.memory().numTensors;
  const r = mcDropoutPredict(model, x, { samples: 400, keepSamples: true });
  assert.deepEqual(r.mean.shape, [5, 2]);
  assert.deepEqual(r.samples?.shape, [400, 5, 2]);
  const ws = weightScalingPredict(model, x);
  // Linear after dropout: E over masks equals the weight-scaled pass. Check
  // the MC mean within 5 standard errors of it.
  const mean = r.mean.dataSync();
  const std = r.std.dataSync();
  const w = ws.dataSync();
  for (let i = 0; i < mean.length; i++) {
    assert.ok(std[i] > 0, "dropout must make passes differ");
    assert.ok(Math.abs(mean[i] - w[i]) < (5 * std[i]) / Math.sqrt(400) + 1e-6, `mean ${mean[i]} vs ${w[i]}`);
  }
  tf.dispose([r.mean, r.std, r.samples!, ws]);
  assert.equal(tf.memory().numTensors, before);
  // Reproducible after reseeding.
  seed(5);
  const a = mcDropoutPredict(model, x, { samples: 3 });
  seed(5);
  const b = mcDropoutPredict(model, x, { samples: 3 });
  assert.deepEqual(a.std.arraySync(), b.std.arraySync());
  assert.throws(() => mcDropoutPredict(model, x, { samples: 0 }), /positive integer/);
  tf.dispose([a.mean, a.std, b.mean, b.std, x]);
  model.dispose();
  unseed();
});

test("dropoutLayer inside train: masks drawn every step, none in evaluation", async () => {
  await useBackend("cpu", { quiet: true });
  const { train } = await import("../../../src/training/train");
  seed(51);
  const rec = new RecordingDropout({ rate: 0.5, inputShape: [6] });
  const model = tf.sequential({ layers: [rec, tf.layers.dense({ units: 1 })] });
  const x = tf.ones([8, 6]);
  const y = tf.zeros([8, 1]);
  await train(model, { x, y }, { epochs: 3, batchSize: 4, loss: "mse", validationData: { x, y }, progress: false });
  assert.equal(rec.masks.length, 6, "one mask per training step, none for validation");
  assert.notDeepEqual(rec.masks[0], rec.masks[1]);
  tf.dispose([x, y]);
  model.dispose();
  unseed();
});
