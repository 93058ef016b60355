/**
 * The three products of a dense layer's training step, on the wasm backend
 * as one call of reglab's SIMD GEMM (src/kernels/gemm.ts) each:
 *
 *   forward  act(X W + b)      denseForward(x, w, bias, relu)
 *   dW       Xᵀ dZ             matMulTN(x, dz)     (Xᵀ read through strides; copied once for wide outputs)
 *   dX       dZ Wᵀ             matMulNT(dz, w)     (Wᵀ copied once into a temporary)
 *
 * tfjs's own wasm matmul kernels reach the same GEMM (src/wasm-kernels.ts);
 * the dense step calls its kernel directly to skip the 3-D reshapes the
 * tf.matMul op adds around every product (three extra kernels each).
 *
 * Bit-identical to tf.fused.matMul / tf.matMul on wasm (same summation
 * order; test/unit/kernels/gemm.test.ts). On every other backend, or
 * without WebAssembly SIMD, these are exactly those tf calls.
 */
import * as tf from "@tensorflow/tfjs";
import { heapMemory } from "./backend-memory";
import { GEMM_BIAS, GEMM_RELU, gemmKernels, type GemmKernels } from "./gemm";

const KERNEL = "ReglabMatMul";

export interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: tf.DataId): boolean;
}

export type Form = "NN" | "TN" | "NT";

/**
 * The widest output the GEMM takes. Wider, each k step of a column strip
 * jumps ≥ 4 KB in B and the strip's lines collide in the cache: at
 * 1024 × 1024 × 1024 it ran at 20 GFLOP/s against XNNPACK's 38; up to 256
 * columns it runs at 38-51 against XNNPACK's 35-42 (bench/mlp-matmuls.ts).
 */
export const GEMM_MAX_N = 256;

/** Output width from which Xᵀ·dZ multiplies a transposed copy of X (below: X read through strides). */
const TRANSPOSE_A_FROM = 32;

function register(): void {
  if (tf.getKernel(KERNEL, "wasm")) return;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b, bias } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
      const { form, relu } = attrs as unknown as { form: Form; relu: boolean };
      return heapProduct(backend, a, b, bias ?? null, form, relu);
    },
  });
}

/** The GEMM bound to this wasm backend's heap, or null without WebAssembly SIMD. */
export function backendGemm(backend: unknown): GemmKernels | null {
  const memory = heapMemory("wasm", backend);
  return memory ? gemmKernels(memory) : null;
}

/**
 * The product on the wasm heap, inside a kernel function: a and b are
 * matrices (their last two dimensions, any leading ones being 1), and the
 * output has shape `outShape` (default [m, n]).
 */
export function heapProduct(
  backend: unknown,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  bias: tf.TensorInfo | null,
  form: Form,
  relu: boolean,
  outShape?: number[],
): tf.TensorInfo {
  const heap = backend as WasmHeap;
  const k = backendGemm(backend);
  if (!k) throw new Error("reglab matMul: WebAssembly SIMD is not available");
  const [ar, ac] = a.shape.slice(-2);
  const [br, bc] = b.shape.slice(-2);
  const m = form === "TN" ? ac : ar;
  const inner = form === "TN" ? ar : ac;
  const n = form === "NT" ? br : bc;
  const innerB = form === "NT" ? bc : br;
  if (inner !== innerB) throw new Error(`matMul: inner dimensions differ ([${a.shape}] and [${b.shape}], ${form})`);
  const out = heap.makeOutput(outShape ?? [m, n], "float32");
  // Allocations first: a malloc may grow the heap, and addresses are read after.
  const bt = form === "NT" ? heap.makeOutput([inner, n], "float32") : null;
  // Xᵀ is read through strides when C is narrow; for wide C, where each column tile re-reads Xᵀ, a
  // transposed copy is faster (256²: 0.66 vs 0.82 ms; 256 × 10: 0.049 vs 0.035).
  const at = form === "TN" && n >= TRANSPOSE_A_FROM ? heap.makeOutput([ac, ar], "float32") : null;
  try {
    const addr = (t: tf.TensorInfo) => heap.typedArrayFromHeap(t).byteOffset;
    if (bt) k.transpose(addr(b), addr(bt), br, bc);
    if (at) k.transpose(addr(a), addr(at), ar, ac);
    const [sai, sak] = form === "TN" && !at ? [1, ac] : [inner, 1];
    const flags = (bias ? GEMM_BIAS : 0) | (relu ? GEMM_RELU : 0);
    k.gemm(addr(at ?? a), addr(bt ?? b), addr(out), bias ? addr(bias) : 0, m, n, inner, sai, sak, n, n, flags);
  } finally {
    for (const t of [at, bt]) if (t) heap.disposeData(t.dataId);
  }
  return out;
}

/** Whether a product with `n` output columns runs as reglab's GEMM (wasm with SIMD). */
function gemmHere(n: number, ...xs: Array<tf.Tensor | null>): boolean {
  if (n > GEMM_MAX_N || tf.getBackend() !== "wasm" || xs.some((x) => x && (x.dtype !== "float32" || x.rank > 2))) return false;
  if (!backendGemm(tf.backend())) return false;
  register();
  return true;
}

function run(form: Form, a: tf.Tensor2D, b: tf.Tensor2D, bias: tf.Tensor | null, relu: boolean): tf.Tensor2D {
  const inputs: tf.NamedTensorMap = bias ? { a, b, bias } : { a, b };
  return tf.engine().runKernel(KERNEL, inputs, { form, relu } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** act(x w + bias), act relu or the identity. */
export function denseForward(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor | null, relu: boolean): tf.Tensor2D {
  if (gemmHere(w.shape[1], x, w, bias) && (!bias || bias.rank === 1)) return run("NN", x, w, bias, relu);
  return tf.fused.matMul({ a: x, b: w, bias: bias ?? undefined, activation: relu ? "relu" : "linear" }) as tf.Tensor2D;
}

/** xᵀ dz. */
export function matMulTN(x: tf.Tensor2D, dz: tf.Tensor2D): tf.Tensor2D {
  return gemmHere(dz.shape[1], x, dz) ? run("TN", x, dz, null, false) : tf.matMul(x, dz, true, false);
}

/** dz wᵀ. */
export function matMulNT(dz: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return gemmHere(w.shape[0], dz, w) ? run("NT", dz, w, null, false) : tf.matMul(dz, w, false, true);
}
