/**
 * The live learning-curve chart of TrainingProgress: loss (and val_loss)
 * per finished epoch, log-y off, at a smaller size than slides so that
 * re-rendering every 0.5 s stays cheap.
 */
import { Chart } from "./chart";
import { learningCurves } from "./learning-curves";

export function progressChart(history: Array<Record<string, number>>, title: string, subtitle?: string): Chart {
  const hasLoss = history.some((r) => r.loss !== undefined || r.val_loss !== undefined);
  const metric = hasLoss ? "loss" : (Object.keys(history[0] ?? {}).find((k) => k !== "epoch" && !k.startsWith("val_")) ?? "loss");
  return learningCurves(history, { metric, title, subtitle, width: 480, height: 240 });
}
