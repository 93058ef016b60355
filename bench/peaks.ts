/**
 * How close training gets to the arithmetic limit: each backend's best
 * float32 matmul rate measured in the same run as the epochs, and the
 * matmul FLOPs of an MLP epoch. A 1024² product is the best case for
 * XNNPACK and BLAS (large square blocks). On wasm, products with at most
 * 256 output columns run as reglab's own GEMM (src/kernels/gemm.ts), whose
 * best case is a long inner dimension: 1024×1024 · 1024×256 is sampled too
 * and the better of the two is the peak. The MLP's 64×256 products cannot
 * reach it, so "achieved / peak" says how much is left to win by cutting
 * overhead, not a target of 100%.
 */
import * as tf from "@tensorflow/tfjs";
import { GEMM_MAX_N } from "../src/kernels/matmul";

export interface MatmulPeak {
  /** The kernel library doing the arithmetic. */
  library: string;
  gflops: number;
  /** n of the n×n product. */
  size: number;
  /** The product measured, e.g. "1024²" or "1024×1024 · 1024×256". */
  shape: string;
}

function library(backend: string): string {
  if (backend === "wasm") {
    const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
    const simd = tf.env().getBool("WASM_HAS_SIMD_SUPPORT");
    return `XNNPACK in tfjs-backend-wasm ${wasm.version_wasm}${simd ? ", SIMD" : ""}, ${wasm.getThreadsCount()} thread(s)`;
  }
  if (backend === "cpu") return `tfjs-backend-cpu ${tf.version.tfjs} (JavaScript loops, no BLAS)`;
  if (backend === "tensorflow") return "libtensorflow via tfjs-node (Eigen / oneDNN)";
  return backend;
}

/**
 * The matmul size used on the current backend: 1024², except on the cpu
 * backend, whose JavaScript loops take tens of seconds for one 1024² product
 * on a loaded machine (512² there, said in the row).
 */
export function peakSize(): number {
  return tf.getBackend() === "cpu" ? 512 : 1024;
}

/**
 * One sample of the backend's float32 matmul rate: the best of `reps`
 * products of size² (2n³ flops each), after one warm-up unless told not to.
 * The bench takes one sample per round, interleaved with the epochs, and
 * reports the best: a single burst on a shared machine can land on a bad moment.
 */
export function matmulPeak(opts: { size?: number; reps?: number; warmUp?: boolean } = {}): MatmulPeak {
  const backend = tf.getBackend();
  const size = opts.size ?? peakSize();
  const square = { library: library(backend), size, shape: `${size}²`, gflops: matmulRate(size, size, opts) };
  if (backend !== "wasm") return square;
  const narrow = {
    library: "reglab's WebAssembly SIMD GEMM (src/kernels/gemm.ts), 1 thread",
    size,
    shape: `${size}×${size} · ${size}×${GEMM_MAX_N}`,
    gflops: matmulRate(size, GEMM_MAX_N, opts),
  };
  return narrow.gflops > square.gflops ? narrow : square;
}

/** GFLOP/s of the best of `reps` products [size, size] × [size, n], after one warm-up unless told not to. */
function matmulRate(size: number, n: number, opts: { reps?: number; warmUp?: boolean }): number {
  const reps = opts.reps ?? (tf.getBackend() === "cpu" ? 1 : 3);
  const warmUp = (opts.warmUp ?? true) ? 1 : 0;
  const [a, b] = [tf.randomUniform([size, size]), tf.randomUniform([size, n])];
  let best = Infinity;
  try {
    for (let i = 0; i < warmUp + reps; i++) {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      c.dataSync();
      const ms = performance.now() - t0;
      c.dispose();
      if (i >= warmUp) best = Math.min(best, ms);
    }
  } finally {
    tf.dispose([a, b]);
  }
  return (2 * size * size * n) / (best * 1e6);
}

/**
 * Matmul FLOPs of one training epoch of a dense chain `sizes` on n rows:
 * forward X·W (2·n·in·out per layer), backward dW = Xᵀ·dY for every layer
 * and dX = dY·Wᵀ for all but the first. Elementwise work is not counted.
 */
export function mlpEpochFlops(n: number, sizes: number[]): number {
  let f = 0;
  for (let i = 0; i + 1 < sizes.length; i++) f += 2 * n * sizes[i] * sizes[i + 1] * (i === 0 ? 2 : 3);
  return f;
}
