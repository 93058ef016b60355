/**
 * Direct access to a backend's float32 memory, for reglab's own kernels
 * (src/kernels/*): they read their inputs and write their outputs in place
 * of the backend's memory, so one JavaScript loop replaces a chain of small
 * tfjs kernels (each with its engine bookkeeping) and no array is uploaded.
 *
 * Only the wasm and cpu backends keep data where JavaScript can reach it
 * synchronously; everywhere else `memoryKernelsAvailable()` is false and
 * callers use plain tf ops.
 */
import * as tf from "@tensorflow/tfjs";
import { simdKernels, type SimdKernels, type WasmMemory } from "./simd";

type Info = tf.TensorInfo;

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): Info;
  typedArrayFromHeap(t: Info): tf.TypedArray;
  wasm: { asm?: { memory?: WasmMemory } };
}
interface CpuBackend {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.TypedArray): Info;
  readSync(id: tf.DataId): tf.TypedArray;
}

export const MEMORY_BACKENDS = ["wasm", "cpu"] as const;

export function memoryKernelsAvailable(): boolean {
  return (MEMORY_BACKENDS as readonly string[]).includes(tf.getBackend());
}

/**
 * Allocates float32 outputs of the given shapes on `backend` and hands the
 * inputs' and outputs' memory to `fill`. On wasm, views on the heap are taken
 * only after every allocation (an allocation may grow the heap, which
 * detaches earlier views).
 */
export function withMemory(
  backendName: string,
  backend: unknown,
  inputs: Info[],
  outShapes: number[][],
  fill: (ins: Float32Array[], outs: Float32Array[]) => void,
): Info[] {
  for (const t of inputs) if (t.dtype !== "float32") throw new TypeError(`reglab kernel: float32 inputs only, got ${t.dtype}`);
  if (backendName === "wasm") {
    const b = backend as WasmBackend;
    const outs = outShapes.map((s) => b.makeOutput(s, "float32"));
    fill(
      inputs.map((t) => b.typedArrayFromHeap(t) as Float32Array),
      outs.map((t) => b.typedArrayFromHeap(t) as Float32Array),
    );
    return outs;
  }
  const b = backend as CpuBackend;
  const arrays = outShapes.map((s) => new Float32Array(tf.util.sizeFromShape(s)));
  fill(
    inputs.map((t) => b.readSync(t.dataId) as Float32Array),
    arrays,
  );
  return outShapes.map((s, i) => b.makeTensorInfo(s, "float32", arrays[i]));
}

/**
 * The SIMD kernels (src/kernels/simd.ts) bound to the wasm backend's heap,
 * for `fill` callbacks whose arrays are views on that heap (`byteOffset` is
 * then the address); null on the cpu backend or without WebAssembly SIMD.
 */
export function heapSimd(backendName: string, backend: unknown): SimdKernels | null {
  const memory = heapMemory(backendName, backend);
  return memory ? simdKernels(memory) : null;
}

/** The wasm backend's WebAssembly.Memory (reglab's own modules import it); null on other backends. */
export function heapMemory(backendName: string, backend: unknown): WasmMemory | null {
  return backendName === "wasm" ? ((backend as WasmBackend).wasm.asm?.memory ?? null) : null;
}

/** Registers `kernelFunc` under `kernelName` on every memory backend (once; re-registering is a no-op). */
export function registerMemoryKernel(
  kernelName: string,
  kernelFunc: (backendName: string, args: Parameters<tf.KernelFunc>[0]) => Info | Info[],
): void {
  for (const backendName of MEMORY_BACKENDS) {
    if (tf.getKernel(kernelName, backendName)) continue;
    tf.registerKernel({ kernelName, backendName, kernelFunc: (args) => kernelFunc(backendName, args) });
  }
}
