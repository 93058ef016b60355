/**
 * Choosing the TensorFlow.js backend.
 *
 * `auto` prefers native TensorFlow (tfjs-node-gpu, then tfjs-node) when it
 * is really installed, then WebAssembly (ships inside its npm package, works
 * offline), then the pure-JS cpu backend. Note that the danfojs-node install
 * recipe aliases `@tensorflow/tfjs-node` to plain tfjs, so a successful
 * `require` is not enough: the `tensorflow` backend must have registered.
 */
import * as tf from "@tensorflow/tfjs";
import path from "path";

export type BackendName = "auto" | "tensorflow" | "wasm" | "cpu";

export interface BackendChoice {
  /** The backend tfjs now runs on. */
  backend: Exclude<BackendName, "auto">;
  /** One line: what was chosen and why. */
  reason: string;
}

const NAMES: readonly BackendName[] = ["auto", "tensorflow", "wasm", "cpu"];

/** Which native package provided `tensorflow`, if any (for messages). */
let nativePackage: string | null = null;
let wasmLoaded = false;

function tryNative(): { ok: true; pkg: string } | { ok: false; why: string } {
  if (tf.findBackendFactory("tensorflow")) {
    return { ok: true, pkg: nativePackage ?? "tfjs-node" };
  }
  const tried: string[] = [];
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      require.resolve(pkg);
    } catch {
      tried.push(`${pkg} not installed`);
      continue;
    }
    try {
      require(pkg);
    } catch (e) {
      tried.push(`${pkg} failed to load (${firstLine(e)})`);
      continue;
    }
    if (tf.findBackendFactory("tensorflow")) {
      nativePackage = pkg;
      return { ok: true, pkg };
    }
    tried.push(`${pkg} has no native binding (it is plain tfjs)`);
  }
  return { ok: false, why: tried.join("; ") };
}

function loadWasm(): void {
  if (wasmLoaded) return;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
  // Point at the .wasm files inside the installed package: no network needed.
  const dir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
  wasm.setWasmPaths(dir + path.sep);
  transposeFreeMatMul("BatchMatMul");
  transposeFreeMatMul("_FusedMatMul");
  sharedIdentity();
  viewSlice();
  wasmLoaded = true;
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
 */
function transposeFreeMatMul(kernelName: "BatchMatMul" | "_FusedMatMul"): void {
  const original = tf.getKernel(kernelName, "wasm");
  const transpose = tf.getKernel("Transpose", "wasm");
  if (!original || !transpose) return;
  tf.unregisterKernel(kernelName, "wasm");
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      const { inputs, backend, attrs } = args;
      const tA = Boolean(attrs?.transposeA);
      const tB = Boolean(attrs?.transposeB);
      if (!tA && !tB) return original.kernelFunc(args);
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const batch = (x: tf.TensorInfo) => tf.util.sizeFromShape(x.shape.slice(0, -2));
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
          const ct = original.kernelFunc({ inputs: { a: tB ? b : swapLastTwo(b), b: tA ? a : swapLastTwo(a) }, backend, attrs: untransposed }) as tf.TensorInfo;
          temps.push(ct);
          const c = swapLastTwo(ct);
          temps.pop();
          return c;
        }
        return original.kernelFunc({ inputs: { ...inputs, a: tA ? swapLastTwo(a) : a, b: tB ? swapLastTwo(b) : b }, backend, attrs: untransposed });
      } finally {
        // Kernel-internal temporaries are not tracked by the engine: free them here.
        for (const t of temps) (backend as { disposeData(id: tf.DataId): void }).disposeData(t.dataId);
      }
    },
  });
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
  const original = tf.getKernel("Identity", "wasm");
  if (!original) return;
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === "string") return original.kernelFunc(args);
      (args.backend as { incRef(id: tf.DataId): void }).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
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
  const original = tf.getKernel("Slice", "wasm");
  if (!original) return;
  tf.unregisterKernel("Slice", "wasm");
  tf.registerKernel({
    ...original,
    kernelFunc: (args) => {
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
    },
  });
}

/** The parts of tfjs-backend-wasm's BackendWasm that the kernel wrappers use. */
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

function firstLine(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.split("\n")[0].slice(0, 160);
}

async function activate(name: "tensorflow" | "wasm" | "cpu"): Promise<void> {
  if (name === "wasm") loadWasm();
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs could not initialise the ${name} backend`);
  await tf.ready();
  if (name === "cpu") {
    // The cpu backend prints a multi-line "install tfjs-node" banner into the
    // first cell that writes a tensor; useBackend already says which backend runs.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  }
}

/**
 * Switch tfjs to a backend. `auto` (the default; env `REGLAB_BACKEND`
 * overrides it) tries tensorflow (native), then wasm, then cpu, and prints
 * one line saying which it chose and why (pass `{ quiet: true }` to skip it).
 *
 * @example await useBackend()        // auto
 * @example await useBackend("cpu")   // the reference JS backend
 */
export async function useBackend(
  name?: BackendName,
  options: { quiet?: boolean } = {},
): Promise<BackendChoice> {
  const requested = name ?? envBackend() ?? "auto";
  if (!NAMES.includes(requested)) {
    throw new Error(`Unknown backend "${String(requested)}". Choose one of: ${NAMES.join(", ")}.`);
  }
  let choice: BackendChoice;
  if (requested === "tensorflow") {
    const native = tryNative();
    if (!native.ok) {
      throw new Error(
        `The tensorflow backend is not available: ${native.why}. ` +
          "Install @tensorflow/tfjs-node (or -gpu, with CUDA 11.2 and cuDNN 8.1) at version 4.22.0, or use 'wasm'.",
      );
    }
    await activate("tensorflow");
    choice = { backend: "tensorflow", reason: `native TensorFlow from ${native.pkg}` };
  } else if (requested === "wasm" || requested === "cpu") {
    await activate(requested);
    choice = { backend: requested, reason: "requested" };
  } else {
    choice = await auto();
  }
  if (!options.quiet) console.log(`reglab: backend ${choice.backend} (${choice.reason})`);
  return choice;
}

async function auto(): Promise<BackendChoice> {
  const native = tryNative();
  if (native.ok) {
    try {
      await activate("tensorflow");
      return { backend: "tensorflow", reason: `auto: native TensorFlow from ${native.pkg}` };
    } catch (e) {
      return fallback(`${native.pkg} failed to start (${firstLine(e)})`);
    }
  }
  return fallback(native.why);
}

async function fallback(whyNotNative: string): Promise<BackendChoice> {
  try {
    await activate("wasm");
    return { backend: "wasm", reason: `auto: ${whyNotNative}; WebAssembly with SIMD, ${wasmThreads()} thread(s)` };
  } catch (e) {
    await activate("cpu");
    return { backend: "cpu", reason: `auto: ${whyNotNative}; wasm failed (${firstLine(e)}); pure JS cpu is slow` };
  }
}

function wasmThreads(): number {
  try {
    const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
    return wasm.getThreadsCount();
  } catch {
    return 1;
  }
}

function envBackend(): BackendName | undefined {
  const v = process.env.REGLAB_BACKEND?.trim().toLowerCase();
  return v ? (v as BackendName) : undefined;
}

/** The backend tfjs runs on now. */
export function currentBackend(): string {
  return tf.getBackend();
}

/** Backends that can be used here, for `%backend` and error messages. */
export function availableBackends(): Array<Exclude<BackendName, "auto">> {
  const out: Array<Exclude<BackendName, "auto">> = [];
  if (tryNative().ok) out.push("tensorflow");
  try {
    require.resolve("@tensorflow/tfjs-backend-wasm");
    out.push("wasm");
  } catch {
    // not installed
  }
  out.push("cpu");
  return out;
}
