/**
 * UnsortedSegmentSum on the wasm backend (missing in tfjs-backend-wasm 4.22;
 * the gradient of `tf.gather`, hence of embedding layers, needs it):
 *   out[s, ...] = sum_{i : ids[i] = s} x[i, ...],   s in [0, numSegments)
 * Ids outside [0, numSegments) are dropped, as on the cpu backend. Runs as the
 * wasm ScatterNd kernel (which adds duplicate indices) into one spare row
 * that collects the dropped ids and is cut off.
 */
import * as tf from "@tensorflow/tfjs";
import { composite, type KernelArgs } from "./kernel-calls";

const BACKEND = "wasm";

export function unsortedSegmentSum(args: KernelArgs): tf.TensorInfo {
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = Number((args.attrs as { numSegments: number }).numSegments);
  const m = tf.util.sizeFromShape(segmentIds.shape);
  const rest = x.shape.slice(segmentIds.shape.length);
  const d = tf.util.sizeFromShape(rest);
  return composite(args.backend, BACKEND, (k) => {
    if (m === 0 || d === 0) return k.run("Fill", {}, { shape: [numSegments, ...rest], value: 0, dtype: x.dtype });
    const ids = k.run("Reshape", { x: segmentIds }, { shape: [m] });
    const zero = k.run("Fill", {}, { shape: [], value: 0, dtype: "int32" });
    const spare = k.run("Fill", {}, { shape: [m], value: numSegments, dtype: "int32" });
    const ok = k.run("LogicalAnd", {
      a: k.run("GreaterEqual", { a: ids, b: zero }),
      b: k.run("Less", { a: ids, b: spare }),
    });
    const safe = k.run("Select", { condition: ok, t: ids, e: spare });
    const indices = k.run("Reshape", { x: safe }, { shape: [m, 1] });
    const updates = k.run("Reshape", { x }, { shape: [m, d] });
    const summed = k.run("ScatterNd", { indices, updates }, { shape: [numSegments + 1, d] });
    const kept = k.run("Slice", { x: summed }, { begin: [0, 0], size: [numSegments, d] });
    return k.run("Reshape", { x: kept }, { shape: [numSegments, ...rest] });
  });
}

export function registerSegmentSum(): void {
  if (tf.getKernel("UnsortedSegmentSum", BACKEND)) return;
  tf.registerKernel({ kernelName: "UnsortedSegmentSum", backendName: BACKEND, kernelFunc: unsortedSegmentSum as tf.KernelFunc });
}
