/**
 * Benchmark: ms per epoch of the chapter CNN (conv 3x3x32 relu -> max-pool 2
 * -> conv 3x3x64 relu -> max-pool 2 -> dense 128 relu -> dropout 0.5 ->
 * dense 10 softmax; Adam 1e-3, categorical cross-entropy) on 28x28 MNIST
 * digits, batch 64, for: reglab `train` and tfjs `model.fit` on wasm, PyTorch
 * CPU (bench/torch_cnn.py, a long-lived worker) and, only when asked for
 * (`cpu: true`, `--cpu`), reglab `train` on the cpu backend: one epoch of it
 * took 17 minutes on the 2-core machine of BENCHMARKS.md (32 s a step), so
 * the six epochs of a full run would take most of two hours.
 *
 * As in bench/training.ts: every contender starts from the SAME initial
 * weights (the tfjs model's, sent to PyTorch) and sees the SAME batches in the
 * same order (epoch k uses permutation k; tfjs gets the rows gathered in that
 * order inside the timed region, `shuffle: false`); only dropout masks differ.
 * One warm-up epoch each, then rounds in which every contender trains one
 * epoch, the order rotated each round. Reported: median ms/epoch.
 *
 * Run: node dist/bench/conv.js [--quick] [--images=N] [--cpu]
 */
import fs from "fs";
import os from "os";
import path from "path";
import readline from "readline";
import { spawn, type ChildProcessWithoutNullStreams } from "child_process";
import * as tf from "@tensorflow/tfjs";
import { seed, rng } from "../src/random/seed";
import { useBackend, type BackendName } from "../src/backend";
import { loadMnist } from "../src/data/mnist";
import { train } from "../src/training/train";
import { median } from "./stats";
import { permutation } from "../src/data/split";

const LR = 1e-3;
const DROPOUT = 0.5;
const BATCH = 64;
const PYTHON = "/usr/bin/python3";
const root = path.resolve(__dirname, "..", "..");

export interface ConvRow {
  /** "wasm · reglab train", "PyTorch CPU", ... */
  name: string;
  /** What the contender runs on (backend, threads, BLAS). */
  runsOn: string;
  msPerEpoch: number;
  samples: number[];
  lastLoss: number;
}

export interface ConvBench {
  rows: ConvRow[];
  images: number;
  batch: number;
  repeats: number;
  pytorch: { version: string; threads: number; blas: string } | { skipped: string };
}

/** The chapter CNN, initial weights fixed by seed(1). */
export function chapterCnn(): tf.Sequential {
  seed(1);
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3, activation: "relu" }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: "relu" }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 128, activation: "relu" }));
  m.add(tf.layers.dropout({ rate: DROPOUT }));
  m.add(tf.layers.dense({ units: 10, activation: "softmax" }));
  return m;
}

class TorchWorker {
  private constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
    private readonly dir: string,
    readonly hello: { torch: string; threads: number; blas: string },
  ) {}

  static async start(spec: object): Promise<TorchWorker | string> {
    if (!fs.existsSync(PYTHON)) return `${PYTHON} not found (apt-get install python3-torch)`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "reglab-bench-conv-"));
    fs.writeFileSync(path.join(dir, "spec.json"), JSON.stringify(spec));
    const proc = spawn(PYTHON, [path.join(root, "bench", "torch_cnn.py"), "--spec", path.join(dir, "spec.json")], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const lines = readline.createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
    const first = await lines.next();
    if (first.done) {
      fs.rmSync(dir, { recursive: true, force: true });
      return /No module named '?torch/.test(stderr)
        ? "PyTorch is not installed (apt-get install python3-torch)"
        : `the PyTorch worker failed: ${stderr.trim().split("\n").pop()}`;
    }
    return new TorchWorker(proc, lines, dir, JSON.parse(first.value) as { torch: string; threads: number; blas: string });
  }

  async epoch(key: string, perm: number): Promise<{ ms: number; loss: number }> {
    this.proc.stdin.write(JSON.stringify({ key, batch: BATCH, perm }) + "\n");
    const line = await this.lines.next();
    if (line.done) throw new Error("the PyTorch worker exited in mid-benchmark");
    return JSON.parse(line.value) as { ms: number; loss: number };
  }

  close(): void {
    this.proc.stdin.end(JSON.stringify({ quit: true }) + "\n");
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The batch order of every epoch, the same for all contenders (one seeded Fisher–Yates shuffle each). */
function permutations(n: number, count: number): Int32Array[] {
  const r = rng(20240607);
  return Array.from({ length: count }, () => Int32Array.from(permutation(n, r)));
}

type Runner = (k: number) => Promise<{ ms: number; loss: number }>;

function tfjsRunner(how: "train" | "fit", x: tf.Tensor, y: tf.Tensor, perms: tf.Tensor1D[]): { run: Runner; dispose(): void } {
  const model = chapterCnn();
  const opt = tf.train.adam(LR);
  if (how === "fit") model.compile({ optimizer: opt, loss: "categoricalCrossentropy" });
  const run: Runner = async (k) => {
    const t0 = performance.now();
    const xs = tf.gather(x, perms[k]);
    const ys = tf.gather(y, perms[k]);
    let loss: number;
    if (how === "fit") {
      const h = await model.fit(xs, ys, { epochs: 1, batchSize: BATCH, shuffle: false, verbose: 0 });
      loss = h.history.loss[0] as number;
    } else {
      const h = await train(
        model,
        { x: xs, y: ys },
        { epochs: 1, batchSize: BATCH, shuffle: false, optimizer: opt, loss: "categoricalCrossentropy", progress: false },
      );
      loss = h.loss[0];
    }
    tf.dispose([xs, ys]);
    return { ms: performance.now() - t0, loss };
  };
  return { run, dispose: () => (model.dispose(), opt.dispose()) };
}

export interface ConvOptions {
  quick?: boolean;
  images?: number;
  /** Add reglab `train` on the cpu backend (very slow; see the header). */
  cpu?: boolean;
  log?: (s: string) => void;
}

export async function benchConv(opts: ConvOptions = {}): Promise<ConvBench> {
  const log = opts.log ?? (() => {});
  const images = opts.images ?? (opts.quick ? 512 : 2048);
  const repeats = opts.quick ? 3 : 5;
  await useBackend("wasm", { quiet: true });
  const perms = permutations(images, repeats + 1);
  const spec = tf.tidy(() => {
    const m = chapterCnn();
    const weights = m.layers
      .filter((l) => ["Conv2D", "Dense"].includes(l.getClassName()))
      .map((l) => {
        const [k, b] = l.getWeights();
        return { kernel: Array.from(k.dataSync()), shape: k.shape, bias: Array.from(b.dataSync()) };
      });
    m.dispose();
    return weights;
  });
  const data = loadMnist({ train: images, test: 0 });
  const torchOrWhy = await TorchWorker.start({
    n: images,
    x: Array.from(data.train.x.dataSync()),
    labels: data.train.labels,
    lr: LR,
    dropout: DROPOUT,
    weights: spec,
    perms: perms.map((p) => Array.from(p)),
  });
  tf.dispose([data.train.x, data.train.y, data.test.x, data.test.y]);
  const torch = typeof torchOrWhy === "string" ? null : torchOrWhy;
  if (!torch) log(`PyTorch skipped: ${torchOrWhy as string}`);
  const contenders: Array<{ name: string; backend: "wasm" | "cpu" | null; how: "train" | "fit" | "pytorch" }> = [
    { name: "wasm · reglab train", backend: "wasm", how: "train" },
    { name: "wasm · tfjs model.fit", backend: "wasm", how: "fit" },
    ...(opts.cpu ? [{ name: "cpu · reglab train", backend: "cpu" as const, how: "train" as const }] : []),
    ...(torch ? [{ name: "PyTorch CPU", backend: null, how: "pytorch" as const }] : []),
  ];
  // Each tfjs contender keeps its tensors on its own backend; switching backends between epochs is cheap.
  const state = new Map<string, { run: Runner; dispose(): void; backend: BackendName }>();
  for (const c of contenders) {
    if (!c.backend) continue;
    await useBackend(c.backend, { quiet: true });
    const d = loadMnist({ train: images, test: 0 });
    const permTensors = perms.map((p) => tf.tensor1d(p, "int32"));
    const r = tfjsRunner(c.how as "train" | "fit", d.train.x, d.train.y, permTensors);
    state.set(c.name, {
      run: r.run,
      backend: c.backend,
      dispose: () => (r.dispose(), tf.dispose([d.train.x, d.train.y, d.test.x, d.test.y, ...permTensors])),
    });
  }
  const runOne = async (name: string, k: number) => {
    const s = state.get(name);
    if (!s) return torch!.epoch("cnn", k);
    await useBackend(s.backend, { quiet: true });
    return s.run(k);
  };
  const samples = new Map<string, number[]>(contenders.map((c) => [c.name, []]));
  const losses = new Map<string, number>();
  try {
    for (const c of contenders) {
      const w = await runOne(c.name, 0); // warm-up
      log(`warm-up: ${c.name} ${w.ms.toFixed(0)} ms`);
    }
    for (let r = 0; r < repeats; r++) {
      for (let i = 0; i < contenders.length; i++) {
        const c = contenders[(i + r) % contenders.length];
        const res = await runOne(c.name, r + 1);
        samples.get(c.name)!.push(res.ms);
        losses.set(c.name, res.loss);
        log(`round ${r + 1}: ${c.name} ${res.ms.toFixed(0)} ms`);
      }
    }
  } finally {
    torch?.close();
    for (const [name, s] of state) {
      await useBackend(s.backend, { quiet: true });
      s.dispose();
      state.delete(name);
    }
  }
  const pt = torch ? `PyTorch ${torch.hello.torch}, ${torch.hello.threads} thread(s), ${torch.hello.blas}` : "";
  const runsOn = (c: (typeof contenders)[number]) =>
    c.backend === "wasm"
      ? "tfjs-backend-wasm 4.22 (XNNPACK, SIMD, 1 thread) + reglab's gradient kernels"
      : c.backend === "cpu"
        ? "tfjs-backend-cpu 4.22 (JavaScript)"
        : pt;
  const rows = contenders.map((c) => ({
    name: c.name,
    runsOn: runsOn(c),
    msPerEpoch: median(samples.get(c.name)!),
    samples: samples.get(c.name)!,
    lastLoss: losses.get(c.name)!,
  }));
  return {
    rows,
    images,
    batch: BATCH,
    repeats,
    pytorch: torch
      ? { version: torch.hello.torch, threads: torch.hello.threads, blas: torch.hello.blas }
      : { skipped: torchOrWhy as string },
  };
}

if (require.main === module) {
  const n = process.argv.find((a) => a.startsWith("--images="));
  benchConv({
    quick: process.argv.includes("--quick"),
    images: n ? Number(n.slice("--images=".length)) : undefined,
    cpu: process.argv.includes("--cpu"),
    log: (s) => console.error(s),
  })
    .then((res) => {
      const pt = res.rows.find((r) => r.name === "PyTorch CPU");
      console.log(`chapter CNN, ${res.images} MNIST images, batch ${res.batch}, median of ${res.repeats} epochs`);
      for (const r of res.rows) {
        const ratio = pt && r !== pt ? `${(r.msPerEpoch / pt.msPerEpoch).toFixed(2)}× PyTorch` : "";
        console.log(
          `${r.name.padEnd(24)} ${r.msPerEpoch.toFixed(0).padStart(7)} ms/epoch ` +
          ` loss ${r.lastLoss.toFixed(3)}  ${ratio.padEnd(14)} [${r.runsOn}]`,
        );
      }
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
