/**
 * Methods compared on one metric over several runs (seeds): one row per
 * method, a dot per run, a tick at the method's mean, and the mean written in
 * a column to the right of the plot. Dots on an axis that needs not start at
 * zero do not exaggerate differences the way truncated bars do, and the
 * value labels cannot collide with the marks.
 */
import { Chart } from "./chart";
import { getTheme } from "./theme";

export interface DotPlotRow {
  /** The method (one row of the plot). */
  method: string;
  value: number;
  /** Which run (seed) the value comes from; shown in the tooltip. */
  run?: string | number;
}

export interface DotPlotOptions {
  /** Axis title of the metric, e.g. "test accuracy". */
  metric?: string;
  title?: string;
  subtitle?: string;
  /** d3 format of the mean labels (default ".3f"). */
  format?: string;
  /** Methods top to bottom (default: order of first appearance). */
  order?: string[];
  width?: number;
  height?: number;
}

export function dotPlot(rows: DotPlotRow[], options: DotPlotOptions = {}): Chart {
  if (!Array.isArray(rows) || rows.length === 0)
    throw new Error("dotPlot: give at least one row, e.g. [{method: 'single model', value: 0.91}]");
  const bad = rows.find((r) => typeof r.method !== "string" || !Number.isFinite(r.value));
  if (bad) throw new Error(`dotPlot: every row needs a method name and a finite value, got ${JSON.stringify(bad)}`);
  const order = options.order ?? [...new Set(rows.map((r) => r.method))];
  const missing = rows.find((r) => !order.includes(r.method));
  if (missing) throw new Error(`dotPlot: method '${missing.method}' is not in options.order`);
  const means = order.map((method) => {
    const vs = rows.filter((r) => r.method === method).map((r) => r.value);
    return { method, mean: vs.reduce((a, b) => a + b, 0) / vs.length, runs: vs.length };
  });
  const metric = options.metric ?? "value";
  const width = options.width ?? Math.min(getTheme().width, 480);
  const height = options.height ?? 40 * order.length;
  // Method names are the point of the chart: never truncate them.
  const y = { field: "method", type: "nominal", sort: order, title: null, axis: { labelLimit: 0 } };
  const title: Record<string, unknown> = { text: options.title ?? `${metric} by method` };
  title.subtitle = options.subtitle ?? "dots: runs; tick and number on the right: mean";
  return new Chart({
    title,
    width,
    height,
    layer: [
      {
        data: { values: rows.map((r) => ({ method: r.method, value: r.value, run: String(r.run ?? "") })) },
        mark: { type: "point", size: 70, opacity: 0.8, strokeWidth: 2 },
        encoding: {
          y,
          x: { field: "value", type: "quantitative", title: metric, scale: { zero: false, padding: 10 } },
          color: { field: "method", type: "nominal", sort: order, legend: null },
          tooltip: [{ field: "method" }, { field: "run", title: "run" }, { field: "value", type: "quantitative", format: ".4g" }],
        },
      },
      {
        data: { values: means },
        mark: { type: "tick", thickness: 3, color: "#333333", size: 26 },
        encoding: { y, x: { field: "mean", type: "quantitative" } },
      },
      {
        data: { values: means },
        mark: { type: "text", align: "left", dx: 10, fontSize: 13 },
        encoding: { y, x: { value: width }, text: { field: "mean", type: "quantitative", format: options.format ?? ".3f" } },
      },
    ],
  });
}
