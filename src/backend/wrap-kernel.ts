/**
 * Replacing one of tfjs-backend-wasm's kernels by a wrapper around it: the wrapper keeps the original's
 * config (kernel name, backend, gradient setup) and falls back to the original for the cases it leaves alone.
 */
import * as tf from "@tensorflow/tfjs";

const originals = new Map<string, tf.KernelConfig>();

/** Register `wrap(original)` as wasm's `kernelName` kernel in place of the original; a no-op when wasm has none. */
export function wrapWasmKernel(kernelName: string, wrap: (original: tf.KernelConfig) => tf.KernelFunc): void {
  const original = tf.getKernel(kernelName, "wasm");
  if (!original) return;
  if (!originals.has(kernelName)) originals.set(kernelName, original);
  tf.unregisterKernel(kernelName, "wasm");
  tf.registerKernel({ ...original, kernelFunc: wrap(original) });
}

/** tfjs-backend-wasm's own kernel that a wrapper replaced (tests compare against it). */
export function originalWasmKernel(kernelName: string): tf.KernelConfig | undefined {
  return originals.get(kernelName) ?? tf.getKernel(kernelName, "wasm");
}
