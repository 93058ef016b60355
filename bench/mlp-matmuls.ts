/**
 * Where a step of the chapter MLP (64-256-256-10) spends its matmul time on
 * the wasm backend: each product of the hand-derived step (forward X·W,
 * backward Xᵀ·dZ and dZ·Wᵀ) at its own shape, three ways:
 *
 * - reglab: the products `train` runs now (src/kernels/matmul.ts, reglab's
 *   SIMD GEMM), with a new right-hand operand every call, as in training.
 * - XNNPACK fresh: tfjs-backend-wasm's own kernel as train used it before
 *   (explicit transposes, then XNNPACK), a new right-hand tensor every call:
 *   XNNPACK packs the operand again and a new operator is made each time.
 * - XNNPACK reused: the same operands every call (tfjs caches one operator
 *   per right-hand tensor), so this is XNNPACK's arithmetic alone.
 *
 * Run: node dist/bench/mlp-matmuls.js [--batch=64] [--calls=200]
 */
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../src/backend";
import { originalWasmKernel } from "../src/backend/wrap-kernel";
import { denseForward, matMulNT, matMulTN } from "../src/kernels/matmul";
import { median } from "./stats";

interface Product {
  name: string;
  a: [number, number];
  b: [number, number];
  transposeA: boolean;
  transposeB: boolean;
}

function products(batch: number): Product[] {
  const dims = [64, 256, 256, 10];
  const out: Product[] = [];
  for (let l = 0; l < 3; l++) {
    const [i, o] = [dims[l], dims[l + 1]];
    out.push({ name: `forward ${l + 1}: X·W`, a: [batch, i], b: [i, o], transposeA: false, transposeB: false });
    out.push({ name: `dW ${l + 1}: Xᵀ·dZ`, a: [batch, i], b: [batch, o], transposeA: true, transposeB: false });
    if (l > 0) out.push({ name: `dX ${l + 1}: dZ·Wᵀ`, a: [batch, o], b: [i, o], transposeA: false, transposeB: true });
  }
  return out;
}

function flops(p: Product): number {
  const m = p.transposeA ? p.a[1] : p.a[0];
  const k = p.transposeA ? p.a[0] : p.a[1];
  const n = p.transposeB ? p.b[0] : p.b[1];
  return 2 * m * k * n;
}

type Way = "reglab" | "xnnpack fresh" | "xnnpack reused";

/** tfjs-backend-wasm's BatchMatMul (XNNPACK) on untransposed operands, as tfjs's transposes leave them. */
function xnnpack(a: tf.Tensor2D, b: tf.Tensor2D, p: Product): tf.Tensor {
  return tf.tidy(() => {
    const a2 = (p.transposeA ? tf.transpose(a) : a).reshape([1, ...(p.transposeA ? [p.a[1], p.a[0]] : p.a)]);
    const b2 = (p.transposeB ? tf.transpose(b) : b).reshape([1, ...(p.transposeB ? [p.b[1], p.b[0]] : p.b)]);
    const backend = tf.backend();
    const info = originalWasmKernel("BatchMatMul")!.kernelFunc({ inputs: { a: a2, b: b2 }, backend, attrs: {} }) as tf.TensorInfo;
    return tf.engine().makeTensorFromTensorInfo(info);
  });
}

function reglab(a: tf.Tensor2D, b: tf.Tensor2D, p: Product): tf.Tensor {
  if (p.transposeA) return matMulTN(a, b);
  if (p.transposeB) return matMulNT(a, b);
  return denseForward(a, b, null, false);
}

/** Median ms per call; all but "xnnpack reused" get a new right-hand operand every call (made outside the timed region). */
function time(p: Product, calls: number, way: Way): number {
  const a = tf.randomNormal(p.a) as tf.Tensor2D;
  let b = tf.randomNormal(p.b) as tf.Tensor2D;
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    if (way !== "xnnpack reused") {
      const next = tf.add(b, 0) as tf.Tensor2D;
      b.dispose();
      b = next;
    }
    const t0 = performance.now();
    // The wasm backend runs a kernel synchronously: no read needed to time it.
    const c = way === "reglab" ? reglab(a, b, p) : xnnpack(a, b, p);
    samples.push(performance.now() - t0);
    c.dispose();
  }
  tf.dispose([a, b]);
  return median(samples.slice(Math.floor(calls / 10)));
}

async function main(): Promise<void> {
  const arg = (k: string, d: string) => process.argv.find((x) => x.startsWith(`--${k}=`))?.split("=")[1] ?? d;
  const batch = Number(arg("batch", "64"));
  const calls = Number(arg("calls", "200"));
  await useBackend("wasm", { quiet: true });
  console.log(`chapter MLP matmuls on wasm, batch ${batch}, median of ${calls} calls (ms, GFLOP/s)`);
  const ways: Way[] = ["reglab", "xnnpack fresh", "xnnpack reused"];
  const sums = ways.map(() => 0);
  for (const p of products(batch)) {
    const ms = ways.map((w) => time(p, calls, w));
    ms.forEach((m, i) => (sums[i] += m));
    const rate = (m: number) => (flops(p) / m / 1e6).toFixed(1).padStart(5);
    const shape = `[${p.a}]${p.transposeA ? "ᵀ" : ""} × [${p.b}]${p.transposeB ? "ᵀ" : ""}`;
    const cols = ways.map((w, i) => `${w} ${ms[i].toFixed(3)} ms ${rate(ms[i])}`).join("  ");
    console.log(`  ${p.name.padEnd(16)} ${shape.padEnd(24)} ${cols}`);
  }
  console.log(`  per step: ${ways.map((w, i) => `${w} ${sums[i].toFixed(2)} ms`).join(", ")}`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
