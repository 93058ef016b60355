import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { seed } from "../../../src/random/seed";
import { useBackend } from "../../../src/backend";
import { train } from "../../../src/training/train";
import { l2 } from "../../../src/regularizers/norm-penalties";
import { mlp } from "../../../src/models/mlp";
import { blobs } from "../../../src/data/blobs";
import { standardize } from "../../../src/data/standardize";
import { oneHot } from "../../../src/data/one-hot";
import { REPO_ROOT } from "../../support/paths";
import { fgsm } from "../../../src/regularizers/adversarial";
import { batchNorm } from "../../../src/regularizers/batch-norm";

// Debian's python3-torch lives in the system Python, not in a pyenv one on PATH.
const PYTHON = "/usr/bin/python3";
const SCRIPT = path.join(REPO_ROOT, "test", "integration", "torch", "sgd_l2.py");

function torchAvailable(): boolean {
  const r = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8" });
  return r.status === 0;
}

test("SGD + L2 (book alpha) in reglab equals PyTorch SGD(weight_decay = alpha): 8-16-3 tanh MLP, same init and batches", async (t) => {
  if (!torchAvailable()) {
    t.skip("PyTorch not installed: apt-get install python3-torch");
    return;
  }
  await useBackend("cpu", { quiet: true });
  seed(42);
  const b = blobs({ n: 96, centers: 3, dims: 8, std: 2.5 });
  const st = standardize(b.x);
  const x = st.train;
  const y = oneHot(b.labels, 3);
  const model = mlp({ inputs: 8, hidden: [16], outputs: 3, activation: "tanh", outputActivation: "softmax" });
  const init = model.getWeights().map((w) => w.arraySync());
  const settings = { lr: 0.1, alpha: 0.01, batchSize: 16, epochs: 15 };
  const job = { x: x.arraySync(), y: y.arraySync(), weights: init, ...settings };
  const out = JSON.parse(execFileSync(PYTHON, [SCRIPT], {
    input: JSON.stringify(job), encoding: "utf8"
  })) as { loss: number[]; weights: number[][] };

  const opt = tf.train.sgd(settings.lr);
  const h = await train(model, { x, y }, {
    epochs: settings.epochs, batchSize: settings.batchSize, optimizer: opt, loss: "categoricalCrossentropy", penalty: l2(settings.alpha),
    shuffle: false, progress: false
  });
  assert.equal(out.loss.length, settings.epochs);
  h.metrics.loss.forEach((v, i) => {
    const rel = Math.abs(v - out.loss[i]) / out.loss[i];
    assert.ok(rel <= 1e-4, `epoch ${i}: reglab ${v}, torch ${out.loss[i]} (rel ${rel})`);
  });
  assert.ok(h.metrics.loss[settings.epochs - 1] < 0.7 * h.metrics.loss[0], "it actually trained");
  const ours = model.getWeights().map((w) => Array.from(w.dataSync()));
  ours.forEach((w, i) => w.forEach((v, j) => assert.ok(
    Math.abs(v - out.weights[i][j]) < 1e-4, `weight ${i}[${j}]: ${v} vs ${out.weights[i][j]}`
  )));
  opt.dispose();
  model.dispose();
  [b.x, b.y, x, y].forEach((t2) => t2.dispose());
  st.scaler.dispose();
});

const FGSM_BN_SCRIPT = path.join(REPO_ROOT, "test", "integration", "torch", "fgsm_bn.py");

function torchJob<T>(job: object): T {
  return JSON.parse(execFileSync(PYTHON, [FGSM_BN_SCRIPT], { input: JSON.stringify(job), encoding: "utf8" })) as T;
}

/** max |a - b| / max(|b|, floor) over all entries: relative error with a floor for entries near 0. */
function relErr(a: number[], b: number[], floor = 1e-3): number {
  const scale = Math.max(floor, ...b.map(Math.abs));
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]) / scale), 0);
}

test("FGSM equals PyTorch's (autograd input gradient, sign, clamp): " +
  "10-12-4 tanh MLP, same weights and inputs (default backend)", async (t) => {
  if (!torchAvailable()) {
    t.skip("PyTorch not installed: apt-get install python3-torch");
    return;
  }
  await useBackend(undefined, { quiet: true });
  seed(17);
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 12, inputShape: [10], activation: "tanh" }), tf.layers.dense({ units: 4, activation: "softmax" })],
  });
  const x = tf.randomUniform([24, 10]);
  const y = oneHot(Array.from({ length: 24 }, (_, i) => i % 4), 4);
  const eps = 0.07;
  const out = torchJob<{ grad: number[][]; adv: number[][] }>({
    kind: "fgsm", x: x.arraySync(), y: y.arraySync(), weights: model.getWeights().map((w) => w.arraySync()), epsilon: eps, clip: [0, 1],
  });
  const xAdv = fgsm(model, x, y, eps, { clip: [0, 1] });
  const grad = tf.tidy(
    () => tf.grad((xx: tf.Tensor) => tf.mean(tf.metrics.categoricalCrossentropy(y, model.apply(xx) as tf.Tensor)) as tf.Scalar)(x)
  );
  const g = Array.from(grad.dataSync());
  const tg = out.grad.flat();
  assert.ok(relErr(g, tg) <= 1e-4, `input gradient: relative error ${relErr(g, tg)}`);
  // Signs agree wherever the gradient is not at float32 noise level; there x_adv agrees exactly.
  const ours = Array.from(xAdv.dataSync());
  const theirs = out.adv.flat();
  const gmax = Math.max(...tg.map(Math.abs));
  let compared = 0;
  tg.forEach((v, i) => {
    if (Math.abs(v) < 1e-4 * gmax) return;
    assert.ok(Math.abs(ours[i] - theirs[i]) <= 1e-6, `x_adv[${i}]: ${ours[i]} vs ${theirs[i]}`);
    compared++;
  });
  assert.ok(compared > 0.95 * tg.length, `compared ${compared} of ${tg.length}`);
  tf.dispose([x, y, xAdv, grad]);
  model.dispose();
});

test("batch norm equals PyTorch BatchNorm1d: training outputs, running " +
  "statistics (unbiased), eval output, gradients (default backend)", async (t) => {
  if (!torchAvailable()) {
    t.skip("PyTorch not installed: apt-get install python3-torch");
    return;
  }
  await useBackend(undefined, { quiet: true });
  seed(19);
  const d = 5;
  const batches = [0, 1, 2].map((i) => tf.add(tf.mul(tf.randomNormal([16, d]), 2 + i), i));
  const r = tf.randomNormal([16, d]);
  const gamma = [1.2, 0.8, -0.5, 2, 1];
  const beta = [0.1, -0.3, 0, 0.5, 2];
  const momentum = 0.9;
  const eps = 1e-5;
  const out = torchJob<{
    train: number[][][]; running_mean: number[]; running_var: number[]; eval: number[][]; grad_x: number[][]; grad_gamma: number[];
    grad_beta: number[]
  }>({
    kind: "bn", batches: batches.map((b) => b.arraySync()), gamma, beta, momentum, eps, r: r.arraySync(),
  });
  const bn = batchNorm({ units: d, momentum, epsilon: eps, unbiasedMovingVariance: true });
  bn.gamma.assign(tf.tensor1d(gamma));
  bn.beta.assign(tf.tensor1d(beta));
  batches.slice(0, -1).forEach((b, i) => {
    const y = tf.tidy(() => Array.from(bn.apply(b, true).dataSync()));
    assert.ok(relErr(y, out.train[i].flat()) <= 1e-4, `training output of batch ${i}`);
  });
  const last = batches[batches.length - 1];
  // One training-mode pass for all gradients (x as a variable), so the moving statistics are updated once, as in torch.
  const xv = tf.variable(last, true, "bn_crosscheck_x");
  const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(bn.apply(xv, true), r)) as tf.Scalar, [bn.gamma, bn.beta, xv]);
  const gx = grads[xv.name];
  assert.ok(relErr(Array.from(bn.movingMean.dataSync()), out.running_mean) <= 1e-4, "running mean");
  assert.ok(relErr(Array.from(bn.movingVariance.dataSync()), out.running_var) <= 1e-4, "running variance (unbiased)");
  assert.ok(relErr(Array.from(grads[bn.gamma.name].dataSync()), out.grad_gamma) <= 1e-4, "d/d gamma");
  assert.ok(relErr(Array.from(grads[bn.beta.name].dataSync()), out.grad_beta) <= 1e-4, "d/d beta");
  assert.ok(relErr(Array.from(gx.dataSync()), out.grad_x.flat()) <= 1e-4, `d/dx: ${relErr(Array.from(gx.dataSync()), out.grad_x.flat())}`);
  const ev = tf.tidy(() => Array.from(bn.apply(last, false).dataSync()));
  assert.ok(relErr(ev, out.eval.flat()) <= 1e-4, "eval output with running statistics");
  tf.dispose([...batches, r, value, xv, ...Object.values(grads)]);
  bn.dispose();
});
