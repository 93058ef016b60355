/**
 * Weight charts: histograms of several weight sets (L1 vs L2 sparsity) and
 * a heatmap of one weight matrix.
 *
 * Histogram: `bins` equal-width bins over the symmetric range [-m, m],
 * m = max |w| over all sets, shared by all sets so heights compare; bin i
 * covers [lo_i, hi_i) (the last bin is closed). Exact zeros (w === 0, what
 * L1 with a proximal/soft-threshold step produces) are counted separately
 * and shown in the legend/header: "L1 — 412 of 1000 exactly 0".
 *
 * Heatmap: a diverging scheme (blue-orange, colour-blind safe) on the
 * symmetric domain [-m, m] so 0 is the neutral middle colour.
 */
import { Chart } from "./chart";
import { toNumbers, toMatrix, type NumericInput, type MatrixInput, round6 } from "./data";

export interface WeightSet {
  name: string;
  values: NumericInput;
}

export interface WeightHistogramOptions {
  bins?: number;
  /** "overlay" (default for ≤ 3 sets) or "facet". */
  mode?: "overlay" | "facet";
  /** Log-scaled counts (symlog, so empty bins stay at 0). */
  logY?: boolean;
  title?: string;
  width?: number;
  height?: number;
}

/** Count of exact zeros. */
export function countZeros(values: ArrayLike<number>): number {
  let z = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) z++;
  return z;
}

/** Histogram counts over shared edges (see module doc). */
export function histogram(values: ArrayLike<number>, lo: number, hi: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const w = (hi - lo) / bins;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v) || v < lo || v > hi) continue;
    counts[Math.min(bins - 1, Math.floor((v - lo) / w))]++;
  }
  return counts;
}

export function weightHistogram(sets: WeightSet[] | Record<string, NumericInput>, options: WeightHistogramOptions = {}): Chart {
  const list: Array<{ name: string; values: number[] }> = Array.isArray(sets)
    ? sets.map((s) => ({ name: s.name, values: toNumbers(s.values, `weightHistogram '${s.name}'`) }))
    : Object.entries(sets).map(([name, v]) => ({ name, values: toNumbers(v, `weightHistogram '${name}'`) }));
  if (list.length === 0) throw new Error("weightHistogram: give at least one weight set, e.g. {L1: w1, L2: w2}");
  const bins = options.bins ?? 61; // odd: 0 sits in the middle of a bin
  if (!Number.isInteger(bins) || bins < 2) throw new Error(`weightHistogram: bins must be an integer ≥ 2, got ${bins}`);
  let m = 0;
  for (const s of list) for (const v of s.values) if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  if (m === 0) m = 1;
  const width = (2 * m) / bins;
  const rows: Array<Record<string, number | string>> = [];
  const labels: string[] = [];
  for (const s of list) {
    const zeros = countZeros(s.values);
    const label = `${s.name} — ${zeros} of ${s.values.length} exactly 0`;
    labels.push(label);
    histogram(s.values, -m, m, bins).forEach((count, i) => {
      rows.push({ set: label, lo: round6(-m + i * width), hi: round6(-m + (i + 1) * width), count });
    });
  }
  const mode = options.mode ?? (list.length <= 3 ? "overlay" : "facet");
  const x = {
    field: "lo",
    type: "quantitative",
    title: "weight value",
    scale: { domain: [round6(-m), round6(m)] },
    axis: { tickCount: 8, labelOverlap: true },
  };
  const maxCount = Math.max(1, ...rows.map((r) => Number(r.count)));
  const logTicks = [
    0,
    ...Array.from({ length: Math.ceil(Math.log10(maxCount)) + 1 }, (_, k) => 10 ** k).filter((t) => t <= maxCount * 1.5),
  ];
  const y = {
    field: "count",
    type: "quantitative",
    title: "count",
    scale: options.logY ? { type: "symlog" } : {},
    axis: options.logY ? { values: logTicks, format: ",d" } : {},
    stack: null,
  };
  const tooltip = [
    { field: "set", type: "nominal" },
    { field: "lo", type: "quantitative", format: ".3g" },
    { field: "hi", type: "quantitative", format: ".3g" },
    { field: "count", type: "quantitative" },
  ];
  const title = options.title ?? "Weight distributions";
  if (mode === "facet") {
    return new Chart({
      title,
      data: { values: rows },
      facet: { field: "set", type: "nominal", title: null, sort: labels },
      columns: 1,
      spec: {
        width: options.width ?? 560,
        height: options.height ?? 120,
        mark: { type: "rect", opacity: 0.85 },
        encoding: { x, x2: { field: "hi" }, y, color: { field: "set", type: "nominal", legend: null, sort: labels }, tooltip },
      },
    });
  }
  const spec: Record<string, unknown> = {
    title,
    data: { values: rows },
    mark: { type: "rect", opacity: list.length > 1 ? 0.55 : 0.85 },
    encoding: {
      x,
      x2: { field: "hi" },
      y,
      y2: { datum: 0 },
      color: {
        field: "set",
        type: "nominal",
        title: null,
        sort: labels,
        legend: { orient: "top", direction: "vertical", labelLimit: 600 },
      },
      tooltip,
    },
  };
  if (options.width) spec.width = options.width;
  if (options.height) spec.height = options.height;
  return new Chart(spec);
}

export interface HeatmapOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Vega diverging scheme (default "blueorange"). */
  scheme?: string;
  /** Cell size in px (default: fit the theme width, 4..40 px). */
  cellSize?: number;
  colorTitle?: string;
}

/** Cells above this are refused: a chart of more rects is slow and unreadable. */
const MAX_CELLS = 60_000;

/** A heatmap axis: the cell index `field` on exactly `domain`, integer ticks, no grid. */
function cellAxis(field: "r" | "c", title: string, domain: [number, number]): Record<string, unknown> {
  return { field, type: "quantitative", title, scale: { domain, nice: false, zero: false }, axis: { tickMinStep: 1, grid: false } };
}

export function heatmap(matrix: MatrixInput, options: HeatmapOptions = {}): Chart {
  const rows = toMatrix(matrix, "heatmap");
  const nr = rows.length;
  const nc = rows[0].length;
  if (nr * nc > MAX_CELLS) {
    throw new Error(
      `heatmap: ${nr}×${nc} = ${nr * nc} cells is more than ${MAX_CELLS}; slice the matrix (e.g. w.slice([0, 0], [64, 64])) first`,
    );
  }
  let m = 0;
  const values: Array<Record<string, number>> = [];
  for (let r = 0; r < nr; r++) {
    for (let c = 0; c < nc; c++) {
      const v = rows[r][c];
      if (Number.isFinite(v)) m = Math.max(m, Math.abs(v));
      values.push({ r, c, v: round6(v) });
    }
  }
  if (m === 0) m = 1;
  const cell = options.cellSize ?? Math.max(4, Math.min(40, Math.floor(640 / Math.max(nc, 1)), Math.floor(480 / Math.max(nr, 1))));
  return new Chart({
    title: options.title ?? `Weight matrix (${nr}×${nc})`,
    width: nc * cell,
    height: nr * cell,
    data: { values },
    transform: [
      { calculate: "datum.c + 1", as: "c2" },
      { calculate: "datum.r + 1", as: "r2" },
    ],
    mark: { type: "rect" },
    encoding: {
      x: cellAxis("c", options.xTitle ?? "column", [0, nc]),
      x2: { field: "c2" },
      // Rows grow downwards.
      y: cellAxis("r", options.yTitle ?? "row", [nr, 0]),
      y2: { field: "r2" },
      color: {
        field: "v",
        type: "quantitative",
        title: options.colorTitle ?? "weight",
        scale: { scheme: options.scheme ?? "blueorange", domain: [round6(-m), round6(m)] },
      },
      tooltip: [
        { field: "r", type: "quantitative", title: "row" },
        { field: "c", type: "quantitative", title: "column" },
        { field: "v", type: "quantitative", title: "weight", format: ".4g" },
      ],
    },
  });
}
