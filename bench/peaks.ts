/**
 * How close training gets to the arithmetic limit: each backend's 1024²
 * float32 matmul rate measured in the same run as the epochs, and the
 * matmul FLOPs of an MLP epoch. A 1024² product is the best case (XNNPACK and
 * BLAS reach their peak on large square blocks); the MLP's 64×256 products
 * cannot, so "achieved / peak" is an upper bound on what is left to win by
 * cutting overhead, not a target of 100%.
 */
import * as tf from "@tensorflow/tfjs";

export interface MatmulPeak {
  /** The kernel library doing the arithmetic. */
  library: string;
  gflops: number;
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

/** Best of a few 1024² float32 matmuls on the current backend, in GFLOP/s (2n³ flops each). */
export function matmulPeak(size = 1024): MatmulPeak {
  const backend = tf.getBackend();
  const reps = backend === "cpu" ? 2 : 5;
  const [a, b] = [tf.randomUniform([size, size]), tf.randomUniform([size, size])];
  let best = Infinity;
  try {
    for (let i = 0; i <= reps; i++) {
      const t0 = performance.now();
      const c = tf.matMul(a, b);
      c.dataSync();
      const ms = performance.now() - t0;
      c.dispose();
      if (i > 0) best = Math.min(best, ms); // the first is a warm-up
    }
  } finally {
    tf.dispose([a, b]);
  }
  return { library: library(backend), gflops: (2 * size ** 3) / (best * 1e6) };
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
