/**
 * The record of a `train` run: one entry per finished epoch (0-based
 * `epoch`), per-epoch arrays of every logged number in `metrics`.
 *
 * `loss` is the data loss only, `penalty` the regularization term(s),
 * `total` = loss + penalty (the objective actually minimized); `val_loss` is
 * the data loss on the validation set, comparable with `loss`.
 */
import type { DataFrame } from "danfojs-node";
import { historyToFrame } from "../frames/history-frame";

export class History {
  /** Epoch indices (0-based) in the order they ran. */
  readonly epoch: number[] = [];
  /** Every logged number, one value per epoch. */
  readonly metrics: Record<string, number[]> = {};
  /** Epoch at which a callback stopped training, or null if it ran to the end. */
  stoppedEpoch: number | null = null;
  /** Wall time of each epoch in ms (not part of `metrics`: not reproducible). */
  readonly epochMs: number[] = [];

  constructor(readonly params: Record<string, unknown> = {}) {}

  record(epoch: number, logs: Record<string, number>, ms = NaN): void {
    const k = this.epoch.length;
    this.epoch.push(epoch);
    this.epochMs.push(ms);
    for (const [name, v] of Object.entries(logs)) {
      // A metric that appears late (rare) is padded with NaN for earlier epochs.
      const arr = (this.metrics[name] ??= new Array<number>(k).fill(NaN));
      arr.push(v);
    }
    for (const arr of Object.values(this.metrics)) if (arr.length < k + 1) arr.push(NaN);
  }

  /** The data loss per epoch (same as `metrics.loss`). */
  get loss(): number[] {
    return this.metrics.loss ?? [];
  }

  /** The last value of a metric, or undefined. */
  last(name: string): number | undefined {
    const arr = this.metrics[name];
    return arr && arr.length ? arr[arr.length - 1] : undefined;
  }

  /** Rows {epoch, ...metrics}, for charts and tables. */
  toRows(): Array<Record<string, number>> {
    return this.epoch.map((e, i) => {
      const row: Record<string, number> = { epoch: e };
      for (const [name, arr] of Object.entries(this.metrics)) row[name] = arr[i];
      return row;
    });
  }

  /** A danfo DataFrame with an `epoch` column and one column per metric (via frames' historyToFrame). */
  toFrame(): DataFrame {
    return historyToFrame(this);
  }
}
