/**
 * Faster wasm kernels for training, registered over tfjs-backend-wasm 4.22's
 * own when the wasm backend is loaded (measurements in BENCHMARKS.md). Each
 * wrapper computes the same values as the kernel it replaces; tested against
 * the cpu backend in test/unit/backend/wasm-kernels.test.ts. The gradient kernels
 * that wasm lacks (conv nets, embeddings) live in src/backend/, tested in
 * test/unit/backend/wasm-conv-grads.test.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { registerConv2dGrads } from "./backend/conv2d-grads";
import { registerSegmentSum } from "./backend/segment-sum";
import { registerExplicitSamePadding } from "./backend/same-padding";
import { wrapWasmKernel } from "./backend/wrap-kernel";
import { backendGemm, GEMM_MAX_N, heapProduct, type Form } from "./kernels/matmul";

/** Register every wrapper below (call once, after the wasm backend package is loaded). */
export function patchWasmKernels(): void {
  transposeFreeMatMul("BatchMatMul");
  transposeFreeMatMul("_FusedMatMul");
  sharedIdentity();
  viewSlice();
  // Gradient kernels that wasm 4.22 lacks or runs as scalar loops (conv nets, embeddings).
  registerConv2dGrads();
  registerSegmentSum();
  registerExplicitSamePadding();
}

/**
 * tfjs-backend-wasm 4.22 sends a matmul to XNNPACK only when neither operand
 * is transposed (and the batch is 1); with transposeA/transposeB it runs a
 * naive loop 10-20x slower. Every dense layer's backward pass needs X^T dY
 * and dY W^T, so training spent most of its time there. Wrap the kernels:
 * transpose explicitly (wasm Transpose is fast), then multiply untransposed.
 * XNNPACK also copies ("packs") the right operand on every call, so for
 * BatchMatMul we pick the cheaper of C = op(A) op(B) and
 * C = (op(B)^T op(A)^T)^T by elements copied: dY W^T with a small batch is
 * cheaper as (W dY^T)^T. Same products and sums, so results agree to rounding.
 *
 * First choice, where it applies (float32, one matrix, at most one operand
 * transposed, no activation but relu, at most GEMM_MAX_N output columns): reglab's own SIMD GEMM
 * (src/kernels/gemm.ts), bit-identical to XNNPACK's result and 1.5-3x
 * faster at the chapter's shapes since nothing is repacked.
 */
function transposeFreeMatMul(kernelName: "BatchMatMul" | "_FusedMatMul"): void {
  const transpose = tf.getKernel("Transpose", "wasm");
  if (!transpose) return;
  wrapWasmKernel(kernelName, (original) => (args) => {
    const { inputs, backend, attrs } = args;
    const tA = Boolean(attrs?.transposeA);
    const tB = Boolean(attrs?.transposeB);
    const viaGemm = gemmMatMul(kernelName, args);
    if (viaGemm) return viaGemm;
    if (!tA && !tB) return original.kernelFunc(args);
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    // Batched products take the naive loop whatever the flags: leave them alone.
    if (batch(a) !== 1 || batch(b) !== 1) return original.kernelFunc(args);
    const temps: tf.TensorInfo[] = [];
    const swapLastTwo = (x: tf.TensorInfo): tf.TensorInfo => {
      const perm = x.shape.map((_, i) => i);
      perm.splice(-2, 2, x.shape.length - 1, x.shape.length - 2);
      const t = transpose.kernelFunc({ inputs: { x }, backend, attrs: { perm } }) as tf.TensorInfo;
      temps.push(t);
      return t;
    };
    const untransposed = { ...attrs, transposeA: false, transposeB: false };
    const sizeA = tf.util.sizeFromShape(a.shape);
    const sizeB = tf.util.sizeFromShape(b.shape);
    const sizeC = a.shape[a.shape.length - (tA ? 1 : 2)] * b.shape[b.shape.length - (tB ? 2 : 1)];
    const direct = (tA ? sizeA : 0) + (tB ? sizeB : 0) + sizeB;
    const swapped = (tB ? 0 : sizeB) + (tA ? 0 : sizeA) + sizeA + sizeC;
    try {
      if (kernelName === "BatchMatMul" && swapped < direct) {
        const ct = original.kernelFunc({
          inputs: { a: tB ? b : swapLastTwo(b), b: tA ? a : swapLastTwo(a) },
          backend,
          attrs: untransposed,
        }) as tf.TensorInfo;
        temps.push(ct);
        const c = swapLastTwo(ct);
        temps.pop();
        return c;
      }
      return original.kernelFunc({
        inputs: { ...inputs, a: tA ? swapLastTwo(a) : a, b: tB ? swapLastTwo(b) : b },
        backend,
        attrs: untransposed,
      });
    } finally {
      // Kernel-internal temporaries are not tracked by the engine: free them here.
      for (const t of temps) (backend as { disposeData(id: tf.DataId): void }).disposeData(t.dataId);
    }
  });
}

const batch = (x: tf.TensorInfo) => tf.util.sizeFromShape(x.shape.slice(0, -2));

/** The product as reglab's GEMM, or null where it does not apply (the caller runs tfjs's kernel). */
function gemmMatMul(
  kernelName: "BatchMatMul" | "_FusedMatMul",
  { inputs, backend, attrs }: Parameters<tf.KernelFunc>[0],
): tf.TensorInfo | null {
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo | undefined>;
  const tA = Boolean(attrs?.transposeA);
  const tB = Boolean(attrs?.transposeB);
  if (!a || !b || (tA && tB) || a.dtype !== "float32" || b.dtype !== "float32") return null;
  if (a.shape.length < 2 || b.shape.length < 2 || batch(a) !== 1 || batch(b) !== 1 || !backendGemm(backend)) return null;
  const m = a.shape[a.shape.length - (tA ? 1 : 2)];
  const n = b.shape[b.shape.length - (tB ? 2 : 1)];
  if (n > GEMM_MAX_N) return null;
  let relu = false;
  if (kernelName === "_FusedMatMul") {
    const activation = (attrs?.activation as string | undefined) ?? "linear";
    if ((activation !== "linear" && activation !== "relu") || preluActivationWeights) return null;
    if (bias && (bias.dtype !== "float32" || bias.shape.length !== 1 || bias.shape[0] !== n)) return null;
    relu = activation === "relu";
  } else if (bias) return null;
  const form: Form = tA ? "TN" : tB ? "NT" : "NN";
  const outBatch = (a.shape.length >= b.shape.length ? a : b).shape.slice(0, -2);
  return heapProduct(backend, a, b, bias ?? null, form, relu, [...outBatch, m, n]);
}

/**
 * tfjs-core clones every tensor it saves for backprop (an Identity kernel
 * per saved input/output: ~40 per step of a 3-layer MLP). The cpu and webgl
 * backends make Identity share the buffer (reference count + 1); wasm 4.22
 * mallocs and copies. Tensors are immutable in tfjs (Variable.assign swaps
 * the buffer, no kernel writes into its inputs), so sharing is safe: do
 * what the cpu backend does.
 */
function sharedIdentity(): void {
  wrapWasmKernel("Identity", (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    if (x.dtype === "string") return original.kernelFunc(args);
    (args.backend as { incRef(id: tf.DataId): void }).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  });
}

/**
 * tfjs-backend-wasm 4.22's Slice copies the WHOLE input out of the wasm heap
 * (readSync) to take one slice, so every mini-batch slice of a data set
 * copied the data set (and fed the garbage collector). For a contiguous
 * slice (leading-axis row ranges: the mini-batch case) copy just the range,
 * heap to heap; anything else goes to the original kernel.
 */
function viewSlice(): void {
  wrapWasmKernel("Slice", (original) => (args) => {
    const x = args.inputs.x as tf.TensorInfo;
    const attrs = args.attrs as { begin: number | number[]; size?: number | number[] };
    if (x.dtype === "string") return original.kernelFunc(args);
    const [begin, size] = tf.slice_util.parseSliceParams(x as tf.Tensor, attrs.begin, attrs.size);
    if (!tf.slice_util.isSliceContinous(x.shape, begin, size)) return original.kernelFunc(args);
    const backend = args.backend as WasmHeapBackend;
    const out = backend.makeOutput(size, x.dtype);
    const n = tf.util.sizeFromShape(size);
    if (n > 0) {
      const offset = tf.slice_util.computeFlatOffset(begin, tf.util.computeStrides(x.shape));
      // Views taken after makeOutput: its malloc may grow (and move) the heap.
      backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(offset, offset + n));
    }
    return out;
  });
}

/** The parts of tfjs-backend-wasm's BackendWasm that the kernel wrappers use. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}
