/**
 * A metric against a hyperparameter, aggregated over seeds.
 *
 * For each (series, facet, x) group of rows: the line is the mean of `y`;
 * the band is [min, max] (`band: "minmax"`) or mean ± one sample standard
 * deviation (`band: "std"`, s = sqrt(sum (y - mean)^2 / (n - 1)), 0 when
 * n = 1). Aggregation is done here, not in vega-lite, so the spec stays
 * small and the numbers are the ones the text reports.
 *
 * `rows` may also be a danfo DataFrame (e.g. `_sweep` from the `%%sweep`
 * magic), and `y` a list of columns (e.g. ["train_loss", "test_loss"]): each
 * column becomes its own line, coloured by column name (combined with
 * `color` when that is given too).
 */
import { Chart } from "./chart";

export type SweepRow = Record<string, number | string>;

/** A danfo DataFrame as `sweepChart` reads it (columns and row values). */
export interface FrameLike {
  columns: string[];
  values: unknown[];
}

function isFrameLike(v: unknown): v is FrameLike {
  return !!v && !Array.isArray(v) && Array.isArray((v as FrameLike).columns) && Array.isArray((v as FrameLike).values);
}

/** Rows of a DataFrame (or the rows themselves), with cells kept as numbers or strings. */
export function sweepRows(rows: SweepRow[] | FrameLike): SweepRow[] {
  if (!isFrameLike(rows)) return rows;
  return rows.values.map((row) => {
    const cells = row as unknown[];
    const out: SweepRow = {};
    rows.columns.forEach((c, i) => (out[c] = typeof cells[i] === "number" ? (cells[i] as number) : String(cells[i])));
    return out;
  });
}

/** One row per (row, column of `ys`): the value under `y`, the column name under `series`. */
function meltColumns(rows: SweepRow[], ys: string[], color: string | undefined, y: string, series: string): SweepRow[] {
  return rows.flatMap((r, i) =>
    ys.map((col) => {
      if (r[col] === undefined) throw new Error(`sweepChart: row ${i} has no '${col}' field (fields: ${Object.keys(r).join(", ")})`);
      return { ...r, [y]: r[col], [series]: color ? `${r[color]} · ${col}` : col };
    }),
  );
}

export interface SweepOptions {
  /** Field of the hyperparameter (x). */
  x: string;
  /** Field of the metric (y), or several fields drawn as separate lines. */
  y: string | string[];
  /** Field that colours separate lines (e.g. "method"). */
  color?: string;
  /** Legend title (default: the `color` field, or "metric" when `y` is a list). */
  colorTitle?: string;
  /** Field that splits the chart into small multiples (e.g. "method" or "dataset"). */
  facet?: string;
  /** Facet columns (default: up to 3). */
  columns?: number;
  logX?: boolean;
  logY?: boolean;
  /** Ticks of the x axis: "data" = exactly the swept values (e.g. 12, 16, 24, 48), or a list. Default: automatic. */
  xTicks?: "data" | number[];
  band?: "minmax" | "std" | "none";
  title?: string;
  xTitle?: string;
  yTitle?: string;
  width?: number;
  height?: number;
}

interface Agg {
  x: number;
  mean: number;
  lo: number;
  hi: number;
  n: number;
  series: string;
  panel: string;
}

/** Aggregate rows per (series, panel, x): mean, band, count. */
export function aggregateSweep(rows: SweepRow[], options: SweepOptions & { y: string }): Agg[] {
  const groups = new Map<string, { x: number; series: string; panel: string; ys: number[] }>();
  rows.forEach((r, i) => {
    const x = Number(r[options.x]);
    const y = Number(r[options.y]);
    if (r[options.x] === undefined || r[options.y] === undefined) {
      throw new Error(
        `sweepChart: row ${i} has no '${r[options.x] === undefined ? options.x : options.y}' field (fields: ${Object.keys(r).join(", ")})`,
      );
    }
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    const series = options.color ? String(r[options.color]) : "";
    const panel = options.facet ? String(r[options.facet]) : "";
    const key = `${series}\u0000${panel}\u0000${x}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { x, series, panel, ys: [] }));
    g.ys.push(y);
  });
  const band = options.band ?? "minmax";
  return [...groups.values()].map(({ x, series, panel, ys }) => {
    const n = ys.length;
    const mean = ys.reduce((a, b) => a + b, 0) / n;
    let lo = Math.min(...ys);
    let hi = Math.max(...ys);
    if (band === "std") {
      const sd = n > 1 ? Math.sqrt(ys.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
      lo = mean - sd;
      hi = mean + sd;
    } else if (band === "none") {
      lo = hi = mean;
    }
    return { x, mean, lo, hi, n, series, panel };
  });
}

/** Powers of ten spanning the values (log-axis ticks that never crowd). */
export function powersOfTen(values: number[]): number[] {
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  const step = Math.max(1, Math.ceil((hi - lo + 1) / 8));
  const out: number[] = [];
  for (let e = lo; e <= hi; e += step) out.push(Number(`1e${e}`));
  return out;
}

export function sweepChart(input: SweepRow[] | FrameLike, opts: SweepOptions): Chart {
  let rows = sweepRows(input);
  if (!Array.isArray(rows) || rows.length === 0)
    throw new Error("sweepChart: expected a non-empty array of rows like {lambda: 0.01, seed: 0, val_acc: 0.93}, or a DataFrame");
  let options: SweepOptions & { y: string };
  if (Array.isArray(opts.y)) {
    if (opts.y.length === 0) throw new Error("sweepChart: y is an empty list of columns");
    rows = meltColumns(rows, opts.y, opts.color, "__value", "__series");
    options = {
      ...opts,
      y: "__value",
      color: "__series",
      colorTitle: opts.colorTitle ?? (opts.color ? `${opts.color} · metric` : "metric"),
      yTitle: opts.yTitle ?? opts.y.join(", "),
      title: opts.title ?? `${opts.y.join(", ")} vs ${opts.x}`,
    };
  } else {
    options = opts as SweepOptions & { y: string };
  }
  const agg = aggregateSweep(rows, options);
  if (options.logX && agg.some((a) => a.x <= 0)) {
    throw new Error(
      `sweepChart: logX needs ${options.x} > 0; got ${Math.min(...agg.map((a) => a.x))}` +
      ` (use e.g. a small positive value for "no regularization")`,
    );
  }
  const band = options.band ?? "minmax";
  const colorTitle = options.colorTitle ?? options.color ?? "";
  const xAxis = options.logX ? { values: powersOfTen(agg.map((a) => a.x)), format: "~g", labelOverlap: true } : {};
  if (options.xTicks) {
    const ticks = options.xTicks === "data" ? [...new Set(agg.map((a) => a.x))].sort((p, q) => p - q) : options.xTicks;
    Object.assign(xAxis, { values: ticks, labelOverlap: true });
  }
  const x = {
    field: "x",
    type: "quantitative",
    title: options.xTitle ?? options.x,
    scale: options.logX ? { type: "log" } : { zero: false },
    axis: xAxis,
  };
  const y = {
    field: "mean",
    type: "quantitative",
    title: options.yTitle ?? options.y,
    scale: options.logY ? { type: "log" } : { zero: false },
  };
  const color = options.color
    ? { field: "series", type: "nominal", title: colorTitle, legend: { symbolOpacity: 1, symbolType: "stroke", symbolStrokeWidth: 3 } }
    : { value: "#0072B2" };
  const layers: Array<Record<string, unknown>> = [];
  if (band !== "none") {
    layers.push({ mark: { type: "area", opacity: 0.2 }, encoding: { x, y: { ...y, field: "lo" }, y2: { field: "hi" }, color } });
  }
  layers.push({
    mark: { type: "line", point: { filled: true, size: 50 } },
    encoding: {
      x,
      y,
      color,
      tooltip: [
        { field: "x", type: "quantitative", title: options.x, format: ".4g" },
        { field: "mean", type: "quantitative", title: `mean ${options.yTitle ?? options.y}`, format: ".4g" },
        { field: "lo", type: "quantitative", format: ".4g" },
        { field: "hi", type: "quantitative", format: ".4g" },
        { field: "n", type: "quantitative", title: "runs" },
      ],
    },
  });
  const bandText = band === "minmax" ? "band: min–max over runs" : band === "std" ? "band: mean ± 1 sd over runs" : undefined;
  const title = options.title ?? `${options.y} vs ${options.x}`;
  const titleSpec = bandText ? { text: title, subtitle: bandText } : title;
  const data = { values: agg.map((a) => ({ ...a })) };
  if (options.facet) {
    const panels = new Set(agg.map((a) => a.panel)).size;
    const columns = options.columns ?? Math.min(3, panels);
    return new Chart({
      title: titleSpec,
      data,
      facet: { field: "panel", type: "nominal", title: options.facet },
      columns,
      spec: { width: options.width ?? 300, height: options.height ?? 220, layer: layers },
    });
  }
  const spec: Record<string, unknown> = { title: titleSpec, data, layer: layers };
  if (options.width) spec.width = options.width;
  if (options.height) spec.height = options.height;
  return new Chart(spec);
}
