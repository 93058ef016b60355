/**
 * A digest of seeded training runs, to show that a speed-up changes no
 * number: run it on two checkouts and compare the outputs (`diff`). Each
 * line is one run: its settings, a SHA-1 of the final weights (and the
 * predictions, for model.fit) and every epoch's logs at full precision.
 *
 * The runs cover what the fast paths touch: `train` with ReLU, tanh and
 * linear hidden units, tfjs's and reglab's dropout, input dropout, L2 on and
 * off, batch sizes with a partial last batch; and `model.fit` + `predict`.
 *
 * Run: node dist/bench/training-digest.js [--backend=wasm|cpu] > digest.txt
 */
import { createHash } from "node:crypto";
import * as tf from "@tensorflow/tfjs";
import { useBackend, type BackendName } from "../src/backend";
import { loadDigits } from "../src/data/digits";
import { seed } from "../src/random/seed";
import { mlp } from "../src/models/mlp";
import { train } from "../src/training/train";
import { l2 } from "../src/regularizers/norm-penalties";

interface Run {
  batch: number;
  activation: "relu" | "tanh" | "linear";
  dropout: number;
  penalty: number;
  hidden?: number[];
  inputDropout?: number;
}

const RUNS: Run[] = [
  { batch: 64, activation: "relu", dropout: 0.5, penalty: 1e-4 },
  { batch: 256, activation: "relu", dropout: 0.5, penalty: 1e-4 },
  { batch: 100, activation: "relu", dropout: 0.3, penalty: 0, inputDropout: 0.2 },
  { batch: 50, activation: "tanh", dropout: 0.5, penalty: 1e-3 },
  { batch: 64, activation: "relu", dropout: 0, penalty: 1e-4, hidden: [30, 17] },
  { batch: 32, activation: "linear", dropout: 0.2, penalty: 1e-4, hidden: [13] },
];

function digest(tensors: tf.Tensor[]): string {
  const hash = createHash("sha1");
  for (const t of tensors) hash.update(Buffer.from((t.dataSync() as Float32Array).buffer));
  return hash.digest("hex").slice(0, 16);
}

async function main(): Promise<void> {
  const backend = (process.argv.find((a) => a.startsWith("--backend="))?.split("=")[1] ?? "wasm") as BackendName;
  await useBackend(backend, { quiet: true });
  const data = loadDigits({ scale: true, oneHot: true });
  for (const r of RUNS) {
    seed(7);
    const model = mlp({
      inputs: 64,
      hidden: r.hidden ?? [256, 256],
      outputs: 10,
      activation: r.activation,
      outputActivation: "softmax",
      dropout: r.dropout,
      inputDropout: r.inputDropout,
    });
    const h = await train(model, data, {
      epochs: 3,
      batchSize: r.batch,
      optimizer: tf.train.adam(1e-3),
      penalty: r.penalty ? l2(r.penalty) : undefined,
      progress: false,
      loss: "categoricalCrossentropy",
      metrics: ["accuracy"],
    });
    console.log(`train ${JSON.stringify(r)} weights ${digest(model.getWeights())} ${JSON.stringify(h.metrics)}`);
    model.dispose();
  }
  for (const batch of [32, 256]) {
    seed(11);
    const model = mlp({ inputs: 64, hidden: [128, 64], outputs: 10, activation: "relu", outputActivation: "softmax", dropout: 0.3 });
    model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy", metrics: ["accuracy"] });
    const h = await model.fit(data.x, data.y, { epochs: 2, batchSize: batch, shuffle: true, verbose: 0 });
    const p = model.predict(data.x) as tf.Tensor;
    console.log(`fit batch ${batch} weights+predictions ${digest([...model.getWeights(), p])} ${JSON.stringify(h.history)}`);
    p.dispose();
    model.dispose();
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
