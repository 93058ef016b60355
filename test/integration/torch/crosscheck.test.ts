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
  const out = JSON.parse(execFileSync(PYTHON, [SCRIPT], { input: JSON.stringify(job), encoding: "utf8" })) as { loss: number[]; weights: number[][] };

  const opt = tf.train.sgd(settings.lr);
  const h = await train(model, { x, y }, { epochs: settings.epochs, batchSize: settings.batchSize, optimizer: opt, loss: "categoricalCrossentropy", penalty: l2(settings.alpha), shuffle: false, progress: false });
  assert.equal(out.loss.length, settings.epochs);
  h.metrics.loss.forEach((v, i) => {
    const rel = Math.abs(v - out.loss[i]) / out.loss[i];
    assert.ok(rel <= 1e-4, `epoch ${i}: reglab ${v}, torch ${out.loss[i]} (rel ${rel})`);
  });
  assert.ok(h.metrics.loss[settings.epochs - 1] < 0.7 * h.metrics.loss[0], "it actually trained");
  const ours = model.getWeights().map((w) => Array.from(w.dataSync()));
  ours.forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - out.weights[i][j]) < 1e-4, `weight ${i}[${j}]: ${v} vs ${out.weights[i][j]}`)));
  opt.dispose();
  model.dispose();
  [b.x, b.y, x, y].forEach((t2) => t2.dispose());
  st.scaler.dispose();
});
