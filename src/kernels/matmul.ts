/**
 * The three products of a dense layer's training step, on the wasm backend
 * as one call of reglab's SIMD GEMM (src/kernels/gemm.ts) each:
 *
 *   forward  act(X W + b)      denseForward(x, w, bias, relu)
 *   dW       Xᵀ dZ             matMulTN(x, dz)     (Xᵀ read through strides, never copied)
 *   dX       dZ Wᵀ             matMulNT(dz, w)     (Wᵀ copied once into a temporary)
 *
 * Bit-identical to tf.fused.matMul / tf.matMul on wasm (same summation
 * order; test/unit/kernels/gemm.test.ts). On every other backend, or
 * without WebAssembly SIMD, these are exactly those tf calls.
 */
import * as tf from "@tensorflow/tfjs";
import { heapMemory } from "./backend-memory";
import { GEMM_BIAS, GEMM_RELU, gemmKernels, type GemmKernels } from "./gemm";

const KERNEL = "ReglabMatMul";

interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
  disposeData(dataId: tf.DataId): boolean;
}

type Form = "NN" | "TN" | "NT";

function register(): void {
  if (tf.getKernel(KERNEL, "wasm")) return;
  tf.registerKernel({
    kernelName: KERNEL,
    backendName: "wasm",
    kernelFunc: ({ inputs, backend, attrs }) => {
      const { a, b, bias } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
      const { form, relu } = attrs as unknown as { form: Form; relu: boolean };
      const heap = backend as unknown as WasmHeap;
      const k = gemmKernels(heapMemory("wasm", backend)!)!;
      return product(heap, k, a, b, bias ?? null, form, relu);
    },
  });
}

function product(
  heap: WasmHeap,
  k: GemmKernels,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  bias: tf.TensorInfo | null,
  form: Form,
  relu: boolean,
): tf.TensorInfo {
  const [ar, ac] = a.shape;
  const [br, bc] = b.shape;
  const m = form === "TN" ? ac : ar;
  const inner = form === "TN" ? ar : ac;
  const n = form === "NT" ? br : bc;
  const innerB = form === "NT" ? bc : br;
  if (inner !== innerB) throw new Error(`matMul: inner dimensions differ ([${a.shape}] and [${b.shape}], ${form})`);
  const out = heap.makeOutput([m, n], "float32");
  // Allocations first: a malloc may grow the heap, and addresses are read after.
  const bt = form === "NT" ? heap.makeOutput([inner, n], "float32") : null;
  try {
    const addr = (t: tf.TensorInfo) => heap.typedArrayFromHeap(t).byteOffset;
    if (bt) k.transpose(addr(b), addr(bt), br, bc);
    const right = bt ?? b;
    const [sai, sak] = form === "TN" ? [1, ac] : [ac, 1];
    const flags = (bias ? GEMM_BIAS : 0) | (relu ? GEMM_RELU : 0);
    k.gemm(addr(a), addr(right), addr(out), bias ? addr(bias) : 0, m, n, inner, sai, sak, n, n, flags);
  } finally {
    if (bt) heap.disposeData(bt.dataId);
  }
  return out;
}

/** Whether the products below run as reglab's GEMM (wasm with SIMD). */
function gemmHere(...xs: Array<tf.Tensor | null>): boolean {
  if (tf.getBackend() !== "wasm" || xs.some((x) => x && (x.dtype !== "float32" || x.rank > 2))) return false;
  const memory = heapMemory("wasm", tf.backend());
  if (!memory || !gemmKernels(memory)) return false;
  register();
  return true;
}

function run(form: Form, a: tf.Tensor2D, b: tf.Tensor2D, bias: tf.Tensor | null, relu: boolean): tf.Tensor2D {
  const inputs: tf.NamedTensorMap = bias ? { a, b, bias } : { a, b };
  return tf.engine().runKernel(KERNEL, inputs, { form, relu } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** act(x w + bias), act relu or the identity. */
export function denseForward(x: tf.Tensor2D, w: tf.Tensor2D, bias: tf.Tensor | null, relu: boolean): tf.Tensor2D {
  if (gemmHere(x, w, bias) && (!bias || bias.rank === 1)) return run("NN", x, w, bias, relu);
  return tf.fused.matMul({ a: x, b: w, bias: bias ?? undefined, activation: relu ? "relu" : "linear" }) as tf.Tensor2D;
}

/** xᵀ dz. */
export function matMulTN(x: tf.Tensor2D, dz: tf.Tensor2D): tf.Tensor2D {
  return gemmHere(x, dz) ? run("TN", x, dz, null, false) : tf.matMul(x, dz, true, false);
}

/** dz wᵀ. */
export function matMulNT(dz: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  return gemmHere(dz, w) ? run("NT", dz, w, null, false) : tf.matMul(dz, w, false, true);
}
