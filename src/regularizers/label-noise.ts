/**
 * Label noise (Deep Learning book 7.5.1): corrupt a fraction of the training
 * labels to study robustness, e.g. of label smoothing (label-smoothing.ts),
 * which bounds how confidently a model can fit a wrong label.
 *
 * Modes, for k classes and rate r (each label independently, with
 * probability r):
 *   "symmetric": replaced by one of the k - 1 OTHER classes, uniformly
 *                (so exactly the corrupted labels are wrong);
 *   "pairFlip":  c -> (c + 1) mod k (a structured, class-dependent noise).
 * Draws come from `rng(seed)` (the global stream after seed(n) when no seed
 * is given).
 */
import { rng } from "../random/seed";

export interface CorruptedLabels {
  labels: Int32Array;
  /** Which rows were changed. */
  corrupted: Uint8Array;
  /** The fraction changed (close to rate). */
  fraction: number;
}

export function corruptLabels(
  labels: ArrayLike<number>,
  rate: number,
  options: { classes?: number; mode?: "symmetric" | "pairFlip"; seed?: number } = {},
): CorruptedLabels {
  if (typeof rate !== "number" || !(rate >= 0 && rate <= 1)) {
    throw new RangeError(`corruptLabels: rate must be in [0, 1], got ${String(rate)}`);
  }
  const mode = options.mode ?? "symmetric";
  if (mode !== "symmetric" && mode !== "pairFlip") {
    throw new Error(`corruptLabels: mode must be "symmetric" or "pairFlip", got ${String(mode)}`);
  }
  let k = options.classes ?? 0;
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0) throw new RangeError(`corruptLabels: labels must be integers >= 0, got ${c} at row ${i}`);
    if (options.classes === undefined) k = Math.max(k, c + 1);
    else if (c >= k) throw new RangeError(`corruptLabels: label ${c} at row ${i} is not below classes = ${k}`);
  }
  if (k < 2) throw new Error(`corruptLabels: needs at least 2 classes, got ${k}`);
  const r = rng(options.seed);
  const out = Int32Array.from(labels);
  const corrupted = new Uint8Array(labels.length);
  let changed = 0;
  for (let i = 0; i < out.length; i++) {
    if (r.next() >= rate) continue;
    const c = out[i];
    out[i] = mode === "pairFlip" ? (c + 1) % k : (c + 1 + r.int(k - 1)) % k;
    corrupted[i] = 1;
    changed++;
  }
  return { labels: out, corrupted, fraction: out.length ? changed / out.length : 0 };
}
