/**
 * Benchmark: reglab `train` vs tfjs `model.fit`, ms per epoch, on the
 * chapter's digits MLP (64-256-256-10, ReLU, dropout 0.5, L2 alpha = 1e-4
 * in the book's convention, softmax cross-entropy, Adam 1e-3), batch 64 and
 * 256, shuffled, on each backend. Both get identical models (same seed) and
 * the same L2 (fit: tfjs l2({l2: alpha/2}) kernel regularizers; train: the
 * `penalty: l2(alpha)` option). Runs are interleaved (fit, train, fit, ...)
 * after one warm-up epoch each, and the median is reported.
 *
 * Run: node dist/bench/training.js [--quick] [--backends=wasm,cpu]
 */
import * as tf from "@tensorflow/tfjs";
import { seed } from "../src/random/seed";
import { useBackend, type BackendName } from "../src/backend";
import { loadDigits } from "../src/data/digits";
import { mlp } from "../src/models/mlp";
import { train } from "../src/training/train";
import { l2 } from "../src/regularizers/norm-penalties";

export interface BenchRow {
  name: string;
  backend: string;
  msPerEpoch: number;
}

const ALPHA = 1e-4;

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function chapterModel(forFit: boolean): tf.Sequential {
  seed(1);
  return mlp({
    inputs: 64,
    hidden: [256, 256],
    outputs: 10,
    activation: "relu",
    outputActivation: "softmax",
    dropout: 0.5,
    kernelRegularizer: forFit ? l2(ALPHA).toTfjs() : undefined,
  });
}

export async function benchTraining(opts: { quick?: boolean; backends?: string[] } = {}): Promise<BenchRow[]> {
  const backends = opts.backends ?? (opts.quick ? ["wasm"] : ["wasm", "cpu"]);
  const repeats = opts.quick ? 3 : 7;
  const rows: BenchRow[] = [];
  for (const backend of backends) {
    await useBackend(backend as BackendName, { quiet: true });
    const digits = loadDigits({ scale: true, oneHot: true });
    for (const batchSize of [64, 256]) {
      const fitModel = chapterModel(true);
      fitModel.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
      const ourModel = chapterModel(false);
      const ourOpt = tf.train.adam(1e-3);
      const runFit = async () => {
        const t0 = performance.now();
        await fitModel.fit(digits.x, digits.y, { epochs: 1, batchSize, shuffle: true, verbose: 0 });
        return performance.now() - t0;
      };
      const runTrain = async () => {
        const t0 = performance.now();
        await train(ourModel, digits, { epochs: 1, batchSize, shuffle: true, optimizer: ourOpt, loss: "categoricalCrossentropy", penalty: l2(ALPHA), progress: false });
        return performance.now() - t0;
      };
      await runFit();
      await runTrain();
      const fitMs: number[] = [];
      const trainMs: number[] = [];
      for (let r = 0; r < repeats; r++) {
        // Alternate which goes first so drift (GC, thermal) hits both alike.
        if (r % 2 === 0) {
          fitMs.push(await runFit());
          trainMs.push(await runTrain());
        } else {
          trainMs.push(await runTrain());
          fitMs.push(await runFit());
        }
      }
      rows.push({ name: `tfjs model.fit, batch ${batchSize}`, backend, msPerEpoch: median(fitMs) });
      rows.push({ name: `reglab train, batch ${batchSize}`, backend, msPerEpoch: median(trainMs) });
      fitModel.dispose();
      ourModel.dispose();
      ourOpt.dispose();
    }
    digits.x.dispose();
    digits.y.dispose();
  }
  return rows;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const b = args.find((a) => a.startsWith("--backends="));
  benchTraining({ quick, backends: b ? b.slice("--backends=".length).split(",") : undefined })
    .then((rows) => {
      for (const r of rows) console.log(`${r.backend.padEnd(6)} ${r.name.padEnd(28)} ${r.msPerEpoch.toFixed(1).padStart(8)} ms/epoch`);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
