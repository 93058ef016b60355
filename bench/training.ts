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
import * as tf from "@tensorflow/tfjs";
import { seed, rng } from "../src/random/seed";
import { useBackend, availableBackends, type BackendName } from "../src/backend";
import { loadDigits } from "../src/data/digits";
import { mlp } from "../src/models/mlp";
import { train } from "../src/training/train";
import { l2 } from "../src/regularizers/norm-penalties";
import { median } from "./stats";
import { TorchWorker, matmulAsConfigured, unhealthy, type BlasInfo } from "./torch-worker";
import { matmulPeak, mlpEpochFlops, type MatmulPeak } from "./peaks";
import { permutation } from "../src/data/split";

export type Contender = "fit" | "train" | "pytorch";

export interface BenchRow {
  name: string;
  contender: Contender;
  /** PyTorch rows: intra-op and BLAS threads. */
  threads?: number;
  /** tfjs backend of this block (PyTorch rows: the block it ran alongside). */
  backend: string;
  batch: number;
  msPerEpoch: number;
  samples: number[];
  /** Mean training data loss of the last epoch (sanity: all contenders learn alike). */
  lastLoss: number;
  /** Matmul GFLOP/s this epoch achieved (mlpEpochFlops / median time). */
  gflops: number;
}

export interface PyTorchInfo {
  version: string;
  threads: number[];
  blas: BlasInfo;
  /** Why ratios to PyTorch are not printed (reference BLAS), or null. */
  unhealthy: string | null;
  /** 1024² matmul GFLOP/s per thread count: the best of one sample per round, interleaved with the epochs. */
  matmul: Record<number, number>;
  /** Variables removed from the worker's environment (values as set), and the 1-thread matmul with them kept. */
  unset: Record<string, string>;
  matmulAsConfigured: number | string | null;
  /** Variables set so that the worker's idle threads sleep (bench/torch-worker.ts IDLE_ENV). */
  idle: Record<string, string>;
}

export interface TrainingBench {
  rows: BenchRow[];
  repeats: number;
  /** PyTorch version, threads and BLAS, or why it was skipped. */
  pytorch: PyTorchInfo | { skipped: string };
  /** Each tfjs backend's kernel library and matmul GFLOP/s: the best of one sample per round in its block. */
  peaks: Record<string, MatmulPeak>;
  /** Matmul FLOPs of one epoch. */
  epochFlops: number;
}

/** PyTorch is timed at each of these thread counts (intra-op and OpenBLAS alike); ratios are to its best. */
export const TORCH_THREADS = [1, 2];
/** Untimed epochs per contender before the timed rounds. */
const WARM_UP_EPOCHS = 3;
/**
 * After PyTorch on 2 threads, OpenBLAS's worker thread keeps spinning (sched_yield) for a while before it
 * sleeps; on 2 cores the next contender then shared a core with it (reglab train at batch 256: 30-58 ms
 * after such an epoch, 29-33 otherwise). The next contender starts once it has gone quiet.
 */
const SPIN_SETTLE_MS = 300;

async function settle(r: { threads?: number }): Promise<void> {
  if ((r.threads ?? 1) > 1) await new Promise((done) => setTimeout(done, SPIN_SETTLE_MS));
}

const ALPHA = 1e-4;
const LR = 1e-3;
const SIZES = [64, 256, 256, 10];
const DROPOUT = 0.5;

export function contenderName(c: Contender, batch: number, threads?: number): string {
  if (c === "fit") return `tfjs model.fit, batch ${batch}`;
  if (c === "train") return `reglab train, batch ${batch}`;
  return `PyTorch CPU, batch ${batch}, ${threads} thr`;
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

/** The batch order of every epoch, the same for all contenders (one seeded Fisher–Yates shuffle each). */
function permutations(n: number, count: number): Int32Array[] {
  const r = rng(20240607);
  return Array.from({ length: count }, () => Int32Array.from(permutation(n, r)));
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

interface Runner {
  contender: Contender;
  threads?: number;
  run: (k: number) => Promise<{ ms: number; loss: number }>;
}

/** PyTorch's fastest row in the same backend block and batch size (its best thread count). */
export function bestTorch(rows: BenchRow[], backend: string, batch: number): BenchRow | undefined {
  const pts = rows.filter((o) => o.backend === backend && o.batch === batch && o.contender === "pytorch");
  return pts.reduce<BenchRow | undefined>((best, o) => (!best || o.msPerEpoch < best.msPerEpoch ? o : best), undefined);
}

export async function benchTraining(
  opts: { quick?: boolean; backends?: string[]; log?: (s: string) => void } = {},
): Promise<TrainingBench> {
  const log = opts.log ?? (() => {});
  const backends =
    opts.backends ??
    (opts.quick
      ? ["wasm"]
      : availableBackends()
          .filter((b) => b !== "cpu")
          .concat("cpu"));
  const repeats = opts.quick ? 5 : 11;
  await useBackend(backends[0] as BackendName, { quiet: true });
  const first = loadDigits({ scale: true, oneHot: true });
  const n = first.n;
  const epochFlops = mlpEpochFlops(n, SIZES);
  const perms = permutations(n, repeats + 1);
  const torchOrWhy = await TorchWorker.start(torchSpec(first, perms));
  first.x.dispose();
  first.y.dispose();
  const torch = typeof torchOrWhy === "string" ? null : torchOrWhy;
  if (!torch) log(`PyTorch skipped: ${torchOrWhy as string}`);
  const rows: BenchRow[] = [];
  const peaks: Record<string, MatmulPeak> = {};
  const torchMatmul: Record<number, number[]> = {};
  try {
    for (const backend of backends) {
      await useBackend(backend as BackendName, { quiet: true });
      const digits = loadDigits({ scale: true, oneHot: true });
      const permTensors = perms.map((p) => tf.tensor1d(p, "int32"));
      // Matmul peaks in the same minutes as the epochs: one sample of each per round, the best kept.
      const peakSample = async (): Promise<void> => {
        const p = matmulPeak({ warmUp: !peaks[backend] });
        if (!peaks[backend] || p.gflops > peaks[backend].gflops) peaks[backend] = p;
        if (torch) for (const t of TORCH_THREADS) (torchMatmul[t] ??= []).push(await torch.matmulGflops(t));
      };
      for (const batchSize of [64, 256]) {
        const fitModel = chapterModel(true);
        fitModel.compile({ optimizer: tf.train.adam(LR), loss: "categoricalCrossentropy" });
        const ourModel = chapterModel(false);
        const ourOpt = tf.train.adam(LR);
        const key = `${backend}/${batchSize}`;
        const runners: Runner[] = [
          {
            contender: "fit",
            run: async (k) => {
              const t0 = performance.now();
              const xs = tf.gather(digits.x, permTensors[k]);
              const ys = tf.gather(digits.y, permTensors[k]);
              const h = await fitModel.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
              xs.dispose();
              ys.dispose();
              // fit's loss includes the L2 term; fine for a sanity column.
              return { ms: performance.now() - t0, loss: h.history.loss[0] as number };
            },
          },
          {
            contender: "train",
            run: async (k) => {
              const t0 = performance.now();
              const xs = tf.gather(digits.x, permTensors[k]);
              const ys = tf.gather(digits.y, permTensors[k]);
              const options = { epochs: 1, batchSize, shuffle: false, optimizer: ourOpt, penalty: l2(ALPHA), progress: false };
              const h = await train(ourModel, { x: xs, y: ys }, { ...options, loss: "categoricalCrossentropy" });
              xs.dispose();
              ys.dispose();
              return { ms: performance.now() - t0, loss: h.loss[0] };
            },
          },
          ...(torch
            ? TORCH_THREADS.map((t): Runner => ({ contender: "pytorch", threads: t, run: (k) => torch.epoch(key, batchSize, k, t) }))
            : []),
        ];
        const samples = runners.map((): number[] => []);
        const losses = runners.map(() => NaN);
        // Warm-up epochs for everyone: V8 optimizes train's JavaScript over its first epochs (and PyTorch
        // has its own first-call costs); one warm-up left train's first rounds 1.2-1.5x slow at batch 64.
        for (let w = 0; w < WARM_UP_EPOCHS; w++) {
          for (const r of runners) {
            await r.run(0);
            await settle(r);
          }
        }
        for (let r = 0; r < repeats; r++) {
          // Rotate who goes first so drift (GC, other processes) hits all alike.
          for (let i = 0; i < runners.length; i++) {
            const j = (i + r) % runners.length;
            const res = await runners[j].run(r + 1);
            await settle(runners[j]);
            samples[j].push(res.ms);
            losses[j] = res.loss;
          }
          await peakSample();
        }
        const pk = peaks[backend];
        log(`${backend}: ${pk.shape} matmul, best so far ${pk.gflops.toFixed(1)} GFLOP/s (${pk.library})`);
        runners.forEach((c, j) => {
          const ms = median(samples[j]);
          const name = contenderName(c.contender, batchSize, c.threads);
          const gflops = epochFlops / (ms * 1e6);
          const { contender, threads } = c;
          const row: BenchRow = {
            name,
            contender,
            threads,
            backend,
            batch: batchSize,
            msPerEpoch: ms,
            samples: samples[j],
            lastLoss: losses[j],
            gflops,
          };
          rows.push(row);
          log(`${backend} ${name}: ${ms.toFixed(1)} ms/epoch`);
        });
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
  let pytorch: TrainingBench["pytorch"] = { skipped: torchOrWhy as string };
  if (torch) {
    const matmul: Record<number, number> = {};
    for (const t of TORCH_THREADS) matmul[t] = Math.max(...torchMatmul[t]);
    const unset = torch.unset;
    const asConfigured = Object.keys(unset).length ? matmulAsConfigured() : null;
    const blas = torch.blas;
    const version = torch.version;
    const idle = torch.idle;
    pytorch = { version, threads: TORCH_THREADS, blas, unhealthy: unhealthy(blas), matmul, unset, matmulAsConfigured: asConfigured, idle };
  }
  return { rows, repeats, pytorch, peaks, epochFlops };
}

/** Lines describing each contender's kernel library and matmul rate (printed by `npm run bench` and the section alone). */
export function comparatorLines(res: TrainingBench): string[] {
  const out: string[] = [];
  for (const [b, p] of Object.entries(res.peaks)) {
    out.push(`tfjs ${b}: ${p.library}; ${p.shape} matmul ${p.gflops.toFixed(2)} GFLOP/s (best sample)`);
  }
  const pt = res.pytorch;
  if ("skipped" in pt) {
    out.push(`PyTorch skipped: ${pt.skipped}; ratios to PyTorch not computed`);
    return out;
  }
  const mm = pt.threads.map((t) => `${pt.matmul[t].toFixed(1)} GFLOP/s at ${t} thread(s)`).join(", ") + " (best samples)";
  out.push(
    `PyTorch ${pt.version} CPU: BLAS ${pt.blas.name} [${pt.blas.libraries.join(", ")}; torch BLAS_INFO=${pt.blas.torchBlasInfo}; ` +
      `libblas.so.3 alternative ${pt.blas.alternative ?? "none"}]; 1024² matmul ${mm}`,
  );
  for (const [k, v] of Object.entries(pt.unset)) {
    const asSet = pt.matmulAsConfigured;
    out.push(
      `  ${k}=${v} is set here; unset for the PyTorch worker only (it forces OpenBLAS's ${v} kernels; ` +
        `with it kept, 1 thread, one sample in a separate process: ${typeof asSet === "number" ? `${asSet.toFixed(1)} GFLOP/s` : asSet})`,
    );
  }
  const idle = Object.entries(pt.idle ?? {}).map(([k, v]) => `${k}=${v}`);
  if (idle.length) {
    out.push(`  ${idle.join(" ")} for the worker: its idle threads sleep between epochs instead of spinning on the cores the others use`);
  }
  if (pt.unhealthy) out.push(`  NO RATIOS TO PYTORCH: ${pt.unhealthy}`);
  return out;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const quick = args.includes("--quick");
  const b = args.find((a) => a.startsWith("--backends="));
  benchTraining({ quick, backends: b ? b.slice("--backends=".length).split(",") : undefined, log: (s) => console.error(s) })
    .then((res) => {
      for (const l of comparatorLines(res)) console.log(l);
      const healthy = !("skipped" in res.pytorch) && !res.pytorch.unhealthy;
      for (const r of res.rows) {
        const pt = bestTorch(res.rows, r.backend, r.batch);
        const ratio = healthy && pt && r.contender !== "pytorch" ? `${(r.msPerEpoch / pt.msPerEpoch).toFixed(2)}× PyTorch best` : "";
        const peak = r.contender === "pytorch" ? null : res.peaks[r.backend]?.gflops;
        const ach = `${r.gflops.toFixed(1)} GFLOP/s${peak ? ` (${((100 * r.gflops) / peak).toFixed(0)}% of peak)` : ""}`;
        const ms = r.msPerEpoch.toFixed(1).padStart(8);
        console.log(`${r.backend.padEnd(6)} ${r.name.padEnd(30)} ${ms} ms/epoch  loss ${r.lastLoss.toFixed(3)}  ${ach}  ${ratio}`);
      }
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
