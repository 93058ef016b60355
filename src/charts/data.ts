/**
 * Numeric inputs for chart builders: plain arrays, typed arrays or
 * tf.Tensors. Tensors are read synchronously (dataSync/arraySync), which
 * allocates no tensors; the caller keeps ownership and disposes them.
 */
import * as tf from "@tensorflow/tfjs";

/** A flat list of numbers. */
export type NumericInput = ArrayLike<number> | tf.Tensor;
/** A matrix (rows of numbers) or a 2-D tensor. */
export type MatrixInput = ArrayLike<ArrayLike<number>> | tf.Tensor;

/** Flatten any numeric input to number[]. */
export function toNumbers(x: NumericInput, name = "values"): number[] {
  if (x instanceof tf.Tensor) return Array.from(x.dataSync() as ArrayLike<number>);
  if (x == null || typeof (x as ArrayLike<number>).length !== "number") {
    throw new Error(`${name}: expected an array, a typed array or a tf.Tensor, got ${x === null ? "null" : typeof x}`);
  }
  const out = Array.from(x as ArrayLike<number>, Number);
  return out;
}

/** Rows of a matrix input, checked rectangular. */
export function toMatrix(x: MatrixInput, name = "matrix"): number[][] {
  let rows: number[][];
  if (x instanceof tf.Tensor) {
    if (x.rank !== 2) throw new Error(`${name}: expected a 2-D tensor, got shape [${x.shape.join(", ")}]`);
    rows = x.arraySync() as number[][];
  } else {
    if (x == null || typeof x.length !== "number") throw new Error(`${name}: expected an array of rows or a 2-D tensor`);
    rows = Array.from(x, (r, i) => {
      if (r == null || typeof r.length !== "number") throw new Error(`${name}: row ${i} is not an array`);
      return Array.from(r, Number);
    });
  }
  if (rows.length === 0) throw new Error(`${name}: is empty`);
  const w = rows[0].length;
  rows.forEach((r, i) => {
    if (r.length !== w) throw new Error(`${name}: row ${i} has ${r.length} values, row 0 has ${w}`);
  });
  return rows;
}

/** Shape and flat data of an input (tensor shape, or nested array shape). */
export function toShaped(x: tf.Tensor | ArrayLike<unknown>, name = "values"): { shape: number[]; data: number[] } {
  if (x instanceof tf.Tensor) return { shape: x.shape.slice(), data: Array.from(x.dataSync() as ArrayLike<number>) };
  const shape: number[] = [];
  let cur: unknown = x;
  while (cur != null && typeof cur === "object" && typeof (cur as ArrayLike<unknown>).length === "number") {
    shape.push((cur as ArrayLike<unknown>).length);
    cur = (cur as ArrayLike<unknown>)[0];
  }
  const data: number[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth === shape.length) {
      data.push(Number(v));
      return;
    }
    const a = v as ArrayLike<unknown>;
    if (a == null || a.length !== shape[depth]) throw new Error(`${name}: ragged nested array at depth ${depth}`);
    for (let i = 0; i < a.length; i++) walk(a[i], depth + 1);
  };
  walk(x, 0);
  return { shape, data };
}

/** min and max of finite values, or [0, 1] if none. */
export function extent(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

/** Round for compact JSON in specs (about 6 significant digits). */
export function round6(v: number): number {
  return Number.isFinite(v) ? Number(v.toPrecision(6)) : v;
}
