/**
 * Semi-supervised terms: values against JS computations on the rows the term
 * drew, the ramp schedules, errors, and the effect: with 100 labelled digits
 * and 1,200 unlabelled ones, the Pi-model (Laine & Aila 2017) beats the labels-only
 * model on 400 held-out digits on each of 3 seeds, pseudo-labels (Lee 2013) on average.
 * Default backend (wasm).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train } from "../../../src/training/train";
import { mlp } from "../../../src/models/mlp";
import { rampWeight, semiSupervisedTerm } from "../../../src/regularizers/semi-supervised";
import { forward } from "../../../src/training/model-adapter";
import type { PrepareContext, StepContext } from "../../../src/training/types";
import { accuracyOf, digitsParts, disposeParts } from "../../support/digits-split";

test("rampWeight: Lee's linear ramp and Laine & Aila's exp(-5 (1 - T)^2)", () => {
  const o = { weight: 3, start: 10, end: 60 };
  assert.equal(rampWeight(5, o), 0);
  assert.equal(rampWeight(35, o), 1.5);
  assert.equal(rampWeight(80, o), 3);
  assert.ok(Math.abs(rampWeight(35, { ...o, shape: "gaussian" }) - 3 * Math.exp(-5 * 0.25)) < 1e-12);
  assert.equal(rampWeight(0, {}), 1);
});

/** The context `train` would pass, for calling a term by hand. */
function context(model: tf.LayersModel, x: tf.Tensor, y: tf.Tensor, epoch: number): PrepareContext {
  return {
    model, x, ys: [y], epoch, epochs: 10, step: 0,
    loss: (ys, outs) => tf.mean(tf.metrics.categoricalCrossentropy(ys[0], outs[0])) as tf.Scalar,
    forward: (xx, training) => forward(model, xx, training),
  };
}

function rows(t: tf.Tensor): number[][] {
  return t.arraySync() as number[][];
}

test("term values equal JS computations on the drawn rows (pseudo-labels " +
  "with mask, entropy, Pi-model); drawn rows come from x_u", async () => {
  await useBackend(undefined, { quiet: true });
  seed(9);
  const [lab, unl] = digitsParts(9, [40, 60]);
  const model = mlp({ inputs: 64, hidden: [16], outputs: 10, outputActivation: "softmax" });
  await train(model, lab, { epochs: 30, optimizer: "adam", learningRate: 0.02, loss: "categoricalCrossentropy", progress: false });
  const xuRows = new Set(rows(unl.x).map((r) => r.join()));
  const ctx = context(model, lab.x, lab.y, 4);
  const probs = (x: tf.Tensor) => rows(tf.tidy(() => model.predict(x) as tf.Tensor));
  const before = tf.memory().numTensors;
  tf.tidy(() => {
    // Pseudo-labels at half weight (linear ramp 0 -> 2 over epochs 0..8, epoch 4).
    const pl = semiSupervisedTerm(unl, { method: "pseudoLabel", threshold: 0.6, weight: 2, start: 0, end: 8, batchSize: 50 });
    pl.setup!(model, lab);
    const prep = pl.prepare!(ctx);
    assert.equal(prep.a.shape[0], 50);
    rows(prep.a).forEach((r) => assert.ok(xuRows.has(r.join()), "a drawn row is a row of x_u"));
    const v = pl.value({ ...ctx, outputs: [], dataLoss: tf.scalar(0), prepared: prep } as StepContext<typeof prep>).dataSync()[0];
    const P = probs(prep.a);
    let want = 0;
    for (const p of P) {
      const k = p.indexOf(Math.max(...p));
      if (p[k] >= 0.6) want -= Math.log(Math.min(Math.max(p[k], 1e-7), 1 - 1e-7));
    }
    want = (1 * want) / 50;
    assert.ok(P.some((p) => Math.max(...p) < 0.6) && P.some((p) => Math.max(...p) >= 0.6), "the mask matters here");
    assert.ok(Math.abs(v - want) < 1e-5 * (1 + want), `pseudo-label ${v} vs ${want}`);

    const en = semiSupervisedTerm(unl, { method: "entropy", weight: 0.5, batchSize: 30 });
    const pe = en.prepare!(ctx);
    const ve = en.value({ ...ctx, outputs: [], dataLoss: tf.scalar(0), prepared: pe } as StepContext<typeof pe>).dataSync()[0];
    const H = probs(pe.a).map((p) => -p.reduce((s, q) => s + Math.max(q, 1e-7) * Math.log(Math.max(q, 1e-7)), 0));
    const wantE = (0.5 * H.reduce((a, b) => a + b, 0)) / H.length;
    assert.ok(Math.abs(ve - wantE) < 1e-5 * (1 + wantE), `entropy ${ve} vs ${wantE}`);

    // Pi-model with a deterministic pair of views: +0.1 and -0.1.
    let calls = 0;
    const pi = semiSupervisedTerm(unl, {
      method: "piModel", weight: 4, batchSize: 20, augment: (x) => tf.add(x, calls++ % 2 === 0 ? 0.1 : -0.1)
    });
    const pp = pi.prepare!(ctx);
    const vp = pi.value({ ...ctx, outputs: [], dataLoss: tf.scalar(0), prepared: pp } as StepContext<typeof pp>).dataSync()[0];
    const A = probs(pp.a);
    const B = probs(pp.b!);
    let sq = 0;
    A.forEach((r, i) => r.forEach((v2, j) => (sq += (v2 - B[i][j]) ** 2)));
    const wantP = (4 * sq) / (20 * 10);
    assert.ok(Math.abs(vp - wantP) < 1e-5 * (1 + wantP), `consistency ${vp} vs ${wantP}`);
    const diff = tf.sub(pp.a, pp.b!);
    assert.ok(Math.abs(tf.mean(diff).dataSync()[0] - 0.2) < 1e-5, "the two views are the augment's two calls");
  });
  assert.equal(tf.memory().numTensors, before, "no tensor leaked");
  model.dispose();
  disposeParts([lab, unl]);
});

test("semi-supervised options: clear errors before any step; the history reports the term", async () => {
  await useBackend(undefined, { quiet: true });
  const [lab, unl] = digitsParts(4, [30, 30]);
  const model = mlp({ inputs: 64, hidden: [8], outputs: 10, outputActivation: "softmax" });
  const base = { epochs: 2, loss: "categoricalCrossentropy" as const, progress: false as const };
  await assert.rejects(train(model, lab, { ...base, unlabeled: { x: unl.x } }), /semiSupervised/);
  await assert.rejects(train(model, lab, { ...base, semiSupervised: { method: "entropy" } }), /unlabeled/);
  const bad = tf.zeros([5, 63]);
  await assert.rejects(train(model, lab, { ...base, unlabeled: { x: bad }, semiSupervised: { method: "entropy" } }), /shape \[63\]/);
  await assert.rejects(train(model, lab, { ...base, unlabeled: { x: unl.x }, semiSupervised: { method: "mixmatch" as never } }), /method/);
  const before = tf.memory().numTensors;
  const h = await train(model, lab, { ...base, unlabeled: { x: unl.x }, semiSupervised: { method: "piModel", weight: 2 } });
  assert.equal(tf.memory().numTensors, before);
  assert.ok(h.metrics.consistency.every((v) => v > 0));
  h.metrics.total.forEach((t, e) => assert.ok(Math.abs(t - h.metrics.loss[e] - h.metrics.consistency[e]) < 1e-5));
  bad.dispose();
  model.dispose();
  disposeParts([lab, unl]);
});

test("100 labels + 1,200 unlabelled digits: the Pi-model beats labels only " +
  "on every seed, pseudo-labels on average (held-out digits, 3 seeds)", { timeout: 180_000 }, async () => {
  await useBackend(undefined, { quiet: true });
  const gains: Record<string, number[]> = { pseudoLabel: [], piModel: [] };
  for (const s of [1, 2, 3]) {
    const [lab, unl, te] = digitsParts(300 + s, [100, 1200, 400]);
    const acc: Record<string, number> = {};
    const settings = {
      none: undefined,
      pseudoLabel: { method: "pseudoLabel" as const, threshold: 0.9, weight: 3, start: 5, end: 40, batchSize: 100 },
      piModel: { method: "piModel" as const, noise: 0.3, weight: 20, end: 20, shape: "gaussian" as const, batchSize: 100 },
    };
    for (const [kind, ss] of Object.entries(settings)) {
      seed(s);
      const m = mlp({ inputs: 64, hidden: [64], outputs: 10, outputActivation: "softmax" });
      await train(m, lab, {
        epochs: 60, batchSize: 20, optimizer: "adam", learningRate: 0.005, loss: "categoricalCrossentropy", progress: false,
        ...(ss ? { unlabeled: { x: unl.x }, semiSupervised: ss } : {}),
      });
      acc[kind] = tf.tidy(() => accuracyOf(m.predict(te.x) as tf.Tensor, te.labels));
      m.dispose();
    }
    console.log(`seed ${s}: test accuracy ${JSON.stringify(acc)}`);
    // The Pi-model wins on every seed tried (also 11-14: +1.5 to +4.3 points);
    // pseudo-labels win on average but not always (seed 12: -0.2 points), so
    // their per-seed check only rules out a real loss.
    assert.ok(acc.piModel > acc.none + 0.01, `seed ${s}: Pi-model ${acc.piModel} vs labels only ${acc.none}`);
    assert.ok(acc.pseudoLabel > acc.none - 0.01, `seed ${s}: pseudo-labels ${acc.pseudoLabel} vs labels only ${acc.none}`);
    for (const k of ["pseudoLabel", "piModel"]) gains[k].push(acc[k] - acc.none);
    disposeParts([lab, unl, te]);
  }
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(mean(gains.piModel) > 0.02, `Pi-model: mean gain ${mean(gains.piModel)}`);
  assert.ok(mean(gains.pseudoLabel) > 0.01, `pseudo-labels: mean gain ${mean(gains.pseudoLabel)}`);
});
