/**
 * Where a step of the chapter MLP (64-256-256-10) spends its matmul time on
 * the wasm backend: each product of the hand-derived step (forward X·W,
 * backward Xᵀ·dZ and dZ·Wᵀ) at its own shape, timed two ways:
 *
 * - "reused": the same operands every call. tfjs-backend-wasm caches one
 *   XNNPACK operator per right-hand tensor, so this is the arithmetic alone.
 * - "fresh": a new right-hand tensor every call, as in training (weights
 *   change every step, gradients are new tensors): XNNPACK packs the operand
 *   again and a new operator is made each time.
 *
 * Run: node dist/bench/mlp-matmuls.js [--batch=64] [--calls=200]
 */
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../src/backend";
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

/** Median ms per call; `fresh` makes a new right-hand operand for every call (outside the timed region). */
function time(p: Product, calls: number, fresh: boolean): number {
  const a = tf.randomNormal(p.a);
  let b = tf.randomNormal(p.b);
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) {
    if (fresh) {
      const next = tf.add(b, 0);
      b.dispose();
      b = next;
    }
    const t0 = performance.now();
    // The wasm backend runs a kernel synchronously: no read needed to time it.
    const c = tf.matMul(a, b, p.transposeA, p.transposeB);
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
  let reusedSum = 0;
  let freshSum = 0;
  for (const p of products(batch)) {
    const r = time(p, calls, false);
    const f = time(p, calls, true);
    reusedSum += r;
    freshSum += f;
    const rate = (ms: number) => (flops(p) / ms / 1e6).toFixed(1);
    const shape = `[${p.a}]${p.transposeA ? "ᵀ" : ""} × [${p.b}]${p.transposeB ? "ᵀ" : ""}`;
    console.log(`  ${p.name.padEnd(16)} ${shape.padEnd(24)} reused ${r.toFixed(3)} ms ${rate(r)}  fresh ${f.toFixed(3)} ms ${rate(f)}`);
  }
  console.log(`  per step: reused ${reusedSum.toFixed(2)} ms, fresh ${freshSum.toFixed(2)} ms`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  });
}
