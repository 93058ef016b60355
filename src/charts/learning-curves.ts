/**
 * Learning curves: a metric and its validation twin (`val_<metric>`, as
 * tfjs/Keras name them) against epoch, for one or several runs.
 *
 * - One run: colour = split (train / validation).
 * - Several runs: colour = run (e.g. the hyperparameter value), dash = split.
 * - `earlyStopping`: a vertical rule and a label at that epoch.
 * - `logY`: log-scaled y (values <= 0 are dropped, with a warning in
 *   `chart.warnings`).
 * Epoch numbers come from the history (see frames/records.ts: 1..n when
 * absent).
 */
import { Chart } from "./chart";
import { historyToRecords, type HistoryLike, type EpochRecord } from "../frames/records";

export interface Run {
  /** Legend label, e.g. "λ = 0.01". */
  name: string;
  history: HistoryLike;
}

export interface LearningCurvesOptions {
  /** Metric to plot (default "loss"); its validation twin is `val_<metric>`. "accuracy" falls back to "acc". */
  metric?: string;
  /** Log-scaled y axis. */
  logY?: boolean;
  title?: string;
  subtitle?: string;
  /** Legend title for runs (e.g. "weight decay λ"). */
  runTitle?: string;
  /** Early-stopping epoch, or {epoch, label}. */
  earlyStopping?: number | { epoch: number; label?: string };
  width?: number;
  height?: number;
  /** Show point markers (default: when there are at most 40 epochs). */
  points?: boolean;
}

/** Keras writes accuracy as "acc" or "accuracy" depending on how it was asked for. */
function resolveMetric(records: EpochRecord[], metric: string): string {
  const has = (m: string) => records.some((r) => r[m] !== undefined || r[`val_${m}`] !== undefined);
  if (has(metric)) return metric;
  const alias: Record<string, string> = { accuracy: "acc", acc: "accuracy" };
  if (alias[metric] && has(alias[metric])) return alias[metric];
  const available = [...new Set(records.flatMap((r) => Object.keys(r)).filter((k) => k !== "epoch"))];
  throw new Error(`learningCurves: no '${metric}' or 'val_${metric}' in the history; it has: ${available.join(", ") || "nothing"}`);
}

function displayName(metric: string): string {
  return metric === "acc" ? "accuracy" : metric;
}

/** Whole-number epoch ticks: explicit values for short runs, tickMinStep otherwise. */
function epochAxis(records: EpochRecord[]): Record<string, unknown> {
  const epochs = records.map((r) => r.epoch);
  const lo = Math.min(...epochs);
  const hi = Math.max(...epochs);
  if (Number.isInteger(lo) && Number.isInteger(hi) && hi - lo <= 12) {
    return { values: Array.from({ length: hi - lo + 1 }, (_, k) => lo + k), format: "d" };
  }
  return { tickMinStep: 1, format: "d" };
}

/** Train/validation curves for one history or several named runs. */
export function learningCurves(history: HistoryLike | Run[] | Record<string, HistoryLike>, options: LearningCurvesOptions = {}): Chart {
  let runs: Array<{ name: string; records: EpochRecord[] }>;
  if (
    Array.isArray(history) &&
    history.length > 0 &&
    typeof history[0] === "object" &&
    history[0] !== null &&
    "history" in history[0] &&
    "name" in history[0]
  ) {
    runs = (history as Run[]).map((r) => ({ name: String(r.name), records: historyToRecords(r.history) }));
  } else if (
    !Array.isArray(history) &&
    history &&
    typeof history === "object" &&
    Object.values(history).length > 0 &&
    Object.values(history).every(
      (v) =>
        v &&
        typeof v === "object" &&
        !Array.isArray(v) &&
        !ArrayBuffer.isView(v) &&
        !("length" in (v as object)) &&
        ("history" in (v as object) || Object.values(v as object).some((c) => Array.isArray(c) || ArrayBuffer.isView(c))),
    )
  ) {
    runs = Object.entries(history as Record<string, HistoryLike>).map(([name, h]) => ({ name, records: historyToRecords(h) }));
  } else {
    runs = [{ name: "", records: historyToRecords(history as HistoryLike) }];
  }
  const all = runs.flatMap((r) => r.records);
  if (all.length === 0) throw new Error("learningCurves: the history is empty");
  const metric = resolveMetric(all, options.metric ?? "loss");
  const multi = runs.length > 1;
  const rows: Array<Record<string, string | number>> = [];
  let dropped = 0;
  for (const run of runs) {
    for (const rec of run.records) {
      for (const [key, split] of [
        [metric, "train"],
        [`val_${metric}`, "validation"],
      ] as const) {
        const v = rec[key];
        if (v === undefined || !Number.isFinite(v)) continue;
        if (options.logY && v <= 0) {
          dropped++;
          continue;
        }
        rows.push({ epoch: rec.epoch, value: v, split, run: run.name });
      }
    }
  }
  const name = displayName(metric);
  const splits = [...new Set(rows.map((r) => r.split))];
  const showPoints = options.points ?? Math.max(...runs.map((r) => r.records.length)) <= 40;
  const encoding: Record<string, unknown> = {
    // nice: false ends the axis at the last epoch instead of the next round number.
    x: { field: "epoch", type: "quantitative", title: "epoch", scale: { nice: false }, axis: epochAxis(all) },
    y: { field: "value", type: "quantitative", title: name, scale: options.logY ? { type: "log" } : { zero: false } },
    color: multi
      ? { field: "run", type: "nominal", title: options.runTitle ?? "run", sort: runs.map((r) => r.name) }
      : { field: "split", type: "nominal", title: null, sort: ["train", "validation"] },
    tooltip: [
      ...(multi ? [{ field: "run", type: "nominal" }] : []),
      { field: "split", type: "nominal" },
      { field: "epoch", type: "quantitative" },
      { field: "value", type: "quantitative", title: name, format: ".4g" },
    ],
  };
  if (multi && splits.length > 1) {
    encoding.strokeDash = {
      field: "split",
      type: "nominal",
      title: null,
      sort: ["train", "validation"],
      legend: { symbolType: "stroke", symbolStrokeWidth: 2.5 },
    };
  }
  const layers: Array<Record<string, unknown>> = [
    { mark: { type: "line", point: showPoints ? { size: 30, filled: true } : false }, encoding },
  ];
  if (options.earlyStopping !== undefined) {
    const es = typeof options.earlyStopping === "number" ? { epoch: options.earlyStopping } : options.earlyStopping;
    if (!Number.isFinite(es.epoch)) throw new Error(`learningCurves: earlyStopping epoch must be a number, got ${es.epoch}`);
    const label = es.label ?? `early stop (epoch ${es.epoch})`;
    // The label goes right of the rule, or left of it in the right 40 % of the axis (it would run into the legend).
    const epochs = [...all.map((r) => r.epoch), es.epoch];
    const lo = Math.min(0, ...epochs);
    const hi = Math.max(...epochs);
    const leftSide = hi > lo && (es.epoch - lo) / (hi - lo) > 0.6;
    layers.push({
      data: { values: [{ epoch: es.epoch, label }] },
      layer: [
        { mark: { type: "rule", strokeDash: [6, 4], color: "#444444" }, encoding: { x: { field: "epoch", type: "quantitative" } } },
        {
          mark: { type: "text", align: leftSide ? "right" : "left", baseline: "top", dx: leftSide ? -5 : 5, y: 4, color: "#222222" },
          encoding: { x: { field: "epoch", type: "quantitative" }, text: { field: "label" } },
        },
      ],
    });
  }
  const title = options.title ?? `Learning curves: ${name}`;
  const spec: Record<string, unknown> = {
    title: options.subtitle ? { text: title, subtitle: options.subtitle } : title,
    data: { values: rows },
    layer: layers,
  };
  if (options.width) spec.width = options.width;
  if (options.height) spec.height = options.height;
  const c = new Chart(spec);
  if (dropped > 0) c.warnings.push(`learningCurves: ${dropped} values <= 0 left out of the log-scaled y axis`);
  return c;
}
