/**
 * A/B of `train`'s fast paths on the bench's chapter MLP, in one process:
 * each variant (a `fastPath` setting) has its own model and Adam from the
 * same seed, the variants alternate epoch by epoch (order rotated), and the
 * figure is the median CPU time per epoch (process.cpuUsage, which a shared
 * machine distorts less than wall time), with wall time beside it.
 *
 * Run: node dist/bench/train-ab.js [--backend=wasm] [--batch=64] [--rounds=9]
 */
import * as tf from "@tensorflow/tfjs";
import { useBackend, type BackendName } from "../src/backend";
import { seed } from "../src/random/seed";
import { loadDigits } from "../src/data/digits";
import { mlp } from "../src/models/mlp";
import { train, type TrainOptions } from "../src/training/train";
import { l2 } from "../src/regularizers/norm-penalties";
import { median } from "./stats";

const VARIANTS: Record<string, TrainOptions["fastPath"]> = {
  "autodiff + tfjs Adam": false,
  "hand step + tfjs Adam": { fusedAdam: false },
  "autodiff + fused Adam": { denseChain: false },
  "hand step + fused Adam": true,
};

async function main(): Promise<void> {
  const arg = (k: string, d: string) => process.argv.find((a) => a.startsWith(`--${k}=`))?.split("=")[1] ?? d;
  await useBackend(arg("backend", "wasm") as BackendName, { quiet: true });
  const batchSize = Number(arg("batch", "64"));
  const rounds = Number(arg("rounds", "9"));
  const d = loadDigits({ scale: true, oneHot: true });
  const names = Object.keys(VARIANTS);
  const runs = names.map((name) => {
    seed(1);
    const model = mlp({ inputs: 64, hidden: [256, 256], outputs: 10, activation: "relu", outputActivation: "softmax", dropout: 0.5 });
    const optimizer = tf.train.adam(1e-3);
    const options: TrainOptions = { epochs: 1, batchSize, shuffle: false, optimizer, loss: "categoricalCrossentropy", penalty: l2(1e-4) };
    return () => train(model, { x: d.x, y: d.y }, { ...options, progress: false, fastPath: VARIANTS[name] });
  });
  for (const r of runs) await r(); // warm-up
  const cpu = names.map((): number[] => []);
  const wall = names.map((): number[] => []);
  const losses = names.map(() => NaN);
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < names.length; j++) {
      const i = (j + r) % names.length;
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const h = await runs[i]();
      const c = process.cpuUsage(c0);
      cpu[i].push((c.user + c.system) / 1000);
      wall[i].push(performance.now() - t0);
      losses[i] = h.loss[0];
    }
  }
  const base = median(cpu[0]);
  console.log(`${tf.getBackend()}, batch ${batchSize}, ${rounds} rounds: CPU ms/epoch (median), wall ms/epoch, last loss`);
  names.forEach((n, i) => {
    const m = median(cpu[i]);
    const w = median(wall[i]).toFixed(1).padStart(7);
    const gain = `${(base / m).toFixed(2)}× faster`;
    console.log(`  ${n.padEnd(24)} ${m.toFixed(1).padStart(7)}  ${gain}   wall ${w}   loss ${losses[i].toFixed(4)}`);
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
