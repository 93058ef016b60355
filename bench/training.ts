/**
 * Benchmark: ms per epoch of the chapter's digits MLP (64-256-256-10, ReLU,
 * dropout 0.5, L2 alpha = 1e-4 in the book's convention, softmax
 * cross-entropy, Adam 1e-3), batch 64 and 256, for three contenders:
 *
 *   - tfjs `model.fit` (L2 as tfjs `l2({l2: alpha/2})` kernel regularizers),
 *   - reglab `train` (`penalty: l2(alpha)`),
 *   - PyTorch on the CPU (bench/torch_mlp.py, Adam `weight_decay=alpha` on
 *     weights = the same gradient alpha*w), as a long-lived worker process.
 *
 * All three start from the SAME initial weights (the tfjs model's, exported
 * to the worker as JSON) and see the SAME batches in the same order: epoch k
 * uses permutation k (from a seeded rng) for every contender; tfjs gets the
 * rows pre-gathered in that order (inside the timed region, as PyTorch
 * indexes inside its own) with `shuffle: false`. Only dropout masks differ.
 *
 * Timing: one warm-up epoch each, then `repeats` rounds; in each round every
 * contender trains one epoch, in an order rotated every round so drift hits
 * all alike. Reported: the median ms/epoch. PyTorch's own timer covers its
 * epoch (no pipe overhead). On each tfjs backend in turn (wasm, cpu, and
 * tensorflow where tfjs-node is really installed), PyTorch runs alongside,
 * so every ratio compares figures measured in the same minutes.
 *
 * Run: node dist/bench/training.js [--quick] [--backends=wasm,cpu]
 */
import fs from "fs";
import os from "os";
import path from "path";
import readline from "readline";
import { spawn, type ChildProcessWithoutNullStreams } from "child_process";
import * as tf from "@tensorflow/tfjs";
import { seed, rng } from "../src/random/seed";
import { useBackend, availableBackends, type BackendName } from "../src/backend";
import { loadDigits } from "../src/data/digits";
import { mlp } from "../src/models/mlp";
import { train } from "../src/training/train";
import { l2 } from "../src/regularizers/norm-penalties";
import { median } from "./stats";

export type Contender = "fit" | "train" | "pytorch";

export interface BenchRow {
  name: string;
  contender: Contender;
  /** tfjs backend of this block (PyTorch rows: the block it ran alongside). */
  backend: string;
  batch: number;
  msPerEpoch: number;
  samples: number[];
  /** Mean training data loss of the last epoch (sanity: all contenders learn alike). */
  lastLoss: number;
}

export interface TrainingBench {
  rows: BenchRow[];
  repeats: number;
  /** PyTorch version and threads, or why it was skipped. */
  pytorch: { version: string; threads: number } | { skipped: string };
}

const ALPHA = 1e-4;
const LR = 1e-3;
const SIZES = [64, 256, 256, 10];
const DROPOUT = 0.5;
const PYTHON = "/usr/bin/python3";
const root = path.resolve(__dirname, "..", "..");

export function contenderName(c: Contender, batch: number): string {
  return c === "fit" ? `tfjs model.fit, batch ${batch}` : c === "train" ? `reglab train, batch ${batch}` : `PyTorch CPU, batch ${batch}`;
}

function chapterModel(forFit: boolean): tf.Sequential {
  seed(1);
  return mlp({
    inputs: SIZES[0],
    hidden: SIZES.slice(1, -1),
    outputs: SIZES[SIZES.length - 1],
    activation: "relu",
    outputActivation: "softmax",
    dropout: DROPOUT,
    kernelRegularizer: forFit ? l2(ALPHA).toTfjs() : undefined,
  });
}

function permutations(n: number, count: number): Int32Array[] {
  const r = rng(20240607);
  return Array.from({ length: count }, () => {
    const p = Int32Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [p[i], p[j]] = [p[j], p[i]];
    }
    return p;
  });
}

/** The PyTorch worker (bench/torch_mlp.py --spec), driven one epoch at a time. */
class TorchWorker {
  private constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
    private readonly specPath: string,
    readonly version: string,
    readonly threads: number,
  ) {}

  static async start(spec: object): Promise<TorchWorker | string> {
    if (!fs.existsSync(PYTHON)) return `${PYTHON} not found (apt-get install python3-torch)`;
    const specPath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "reglab-bench-")), "spec.json");
    fs.writeFileSync(specPath, JSON.stringify(spec));
    const proc = spawn(PYTHON, [path.join(root, "bench", "torch_mlp.py"), "--spec", specPath], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const lines = readline.createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) {
      fs.rmSync(path.dirname(specPath), { recursive: true, force: true });
      const why = /No module named '?torch/.test(stderr) ? "PyTorch is not installed (apt-get install python3-torch)" : `the PyTorch worker failed: ${stderr.trim().split("\n").pop()}`;
      return why;
    }
    const hello = JSON.parse(first.value) as { torch: string; threads: number };
    return new TorchWorker(proc, lines, specPath, hello.torch, hello.threads);
  }

  async epoch(key: string, batch: number, perm: number): Promise<{ ms: number; loss: number }> {
    this.proc.stdin.write(JSON.stringify({ key, batch, perm }) + "\n");
    const line = await this.lines.next();
    if (line.done) throw new Error("the PyTorch worker exited in mid-benchmark");
    return JSON.parse(line.value) as { ms: number; loss: number };
  }

  close(): void {
    this.proc.stdin.end(JSON.stringify({ quit: true }) + "\n");
    fs.rmSync(path.dirname(this.specPath), { recursive: true, force: true });
  }
}

function torchSpec(digits: { x: tf.Tensor2D; labels: Int32Array; n: number }, perms: Int32Array[]): object {
  const model = chapterModel(false);
  const dense = model.layers.filter((l) => l.getClassName() === "Dense");
  const weights = dense.map((l) => {
    const [k, b] = l.getWeights();
    return { kernel: Array.from(k.dataSync()), bias: Array.from(b.dataSync()) };
  });
  model.dispose();
  return {
    n: digits.n,
    x: Array.from(digits.x.dataSync()),
    labels: Array.from(digits.labels),
    sizes: SIZES,
    dropout: DROPOUT,
    l2: ALPHA,
    lr: LR,
    weights,
    perms: perms.map((p) => Array.from(p)),
  };
}

export async function benchTraining(opts: { quick?: boolean; backends?: string[]; log?: (s: string) => void } = {}): Promise<TrainingBench> {
  const log = opts.log ?? (() => {});
  const backends = opts.backends ?? (opts.quick ? ["wasm"] : availableBackends().filter((b) => b !== "cpu").concat("cpu"));
  const repeats = opts.quick ? 5 : 7;
  await useBackend(backends[0] as BackendName, { quiet: true });
  const first = loadDigits({ scale: true, oneHot: true });
  const n = first.n;
  const perms = permutations(n, repeats + 1);
  const torchOrWhy = await TorchWorker.start(torchSpec(first, perms));
  first.x.dispose();
  first.y.dispose();
  const torch = typeof torchOrWhy === "string" ? null : torchOrWhy;
  if (!torch) log(`PyTorch skipped: ${torchOrWhy as string}`);
  const rows: BenchRow[] = [];
  try {
    for (const backend of backends) {
      await useBackend(backend as BackendName, { quiet: true });
      const digits = loadDigits({ scale: true, oneHot: true });
      const permTensors = perms.map((p) => tf.tensor1d(p, "int32"));
      for (const batchSize of [64, 256]) {
        const fitModel = chapterModel(true);
        fitModel.compile({ optimizer: tf.train.adam(LR), loss: "categoricalCrossentropy" });
        const ourModel = chapterModel(false);
        const ourOpt = tf.train.adam(LR);
        const key = `${backend}/${batchSize}`;
        const runners: Record<Contender, ((k: number) => Promise<{ ms: number; loss: number }>) | null> = {
          fit: async (k) => {
            const t0 = performance.now();
            const xs = tf.gather(digits.x, permTensors[k]);
            const ys = tf.gather(digits.y, permTensors[k]);
            const h = await fitModel.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
            xs.dispose();
            ys.dispose();
            // fit's loss includes the L2 term; fine for a sanity column.
            return { ms: performance.now() - t0, loss: h.history.loss[0] as number };
          },
          train: async (k) => {
            const t0 = performance.now();
            const xs = tf.gather(digits.x, permTensors[k]);
            const ys = tf.gather(digits.y, permTensors[k]);
            const h = await train(ourModel, { x: xs, y: ys }, { epochs: 1, batchSize, shuffle: false, optimizer: ourOpt, loss: "categoricalCrossentropy", penalty: l2(ALPHA), progress: false });
            xs.dispose();
            ys.dispose();
            return { ms: performance.now() - t0, loss: h.loss[0] };
          },
          pytorch: torch ? (k) => torch.epoch(key, batchSize, k) : null,
        };
        const order = (Object.keys(runners) as Contender[]).filter((c) => runners[c]);
        const samples = new Map<Contender, number[]>(order.map((c) => [c, []]));
        const losses = new Map<Contender, number>();
        for (const c of order) await runners[c]!(0); // warm-up
        for (let r = 0; r < repeats; r++) {
          // Rotate who goes first so drift (GC, other processes) hits all alike.
          for (let i = 0; i < order.length; i++) {
            const c = order[(i + r) % order.length];
            const res = await runners[c]!(r + 1);
            samples.get(c)!.push(res.ms);
            losses.set(c, res.loss);
          }
        }
        for (const c of order) {
          const s = samples.get(c)!;
          rows.push({ name: contenderName(c, batchSize), contender: c, backend, batch: batchSize, msPerEpoch: median(s), samples: s, lastLoss: losses.get(c)! });
          log(`${backend} ${contenderName(c, batchSize)}: ${median(s).toFixed(1)} ms/epoch`);
        }
        fitModel.dispose();
        ourModel.dispose();
        ourOpt.dispose();
      }
      tf.dispose(permTensors);
      digits.x.dispose();
      digits.y.dispose();
    }
  } finally {
    torch?.close();
  }
  return { rows, repeats, pytorch: torch ? { version: torch.version, threads: torch.threads } : { skipped: torchOrWhy as string } };
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const b = args.find((a) => a.startsWith("--backends="));
  benchTraining({ quick, backends: b ? b.slice("--backends=".length).split(",") : undefined, log: (s) => console.error(s) })
    .then((res) => {
      const p = res.pytorch;
      console.log("skipped" in p ? `PyTorch skipped: ${p.skipped}` : `PyTorch ${p.version}, ${p.threads} thread(s)`);
      for (const r of res.rows) {
        const pt = res.rows.find((o) => o.backend === r.backend && o.batch === r.batch && o.contender === "pytorch");
        const ratio = pt && r !== pt ? `${(r.msPerEpoch / pt.msPerEpoch).toFixed(2)}× PyTorch` : "";
        console.log(`${r.backend.padEnd(10)} ${r.name.padEnd(28)} ${r.msPerEpoch.toFixed(1).padStart(8)} ms/epoch  loss ${r.lastLoss.toFixed(3)}  ${ratio}`);
      }
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
