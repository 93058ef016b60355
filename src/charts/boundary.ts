/**
 * Decision boundary of a 2-D binary classifier: P(class 1 | x) on a grid as
 * one raster image (blue-orange diverging, 0.5 = neutral; see raster.ts), the p = 0.5 contour, and the
 * data points coloured by class, all clipped to the plot.
 *
 * Grid convention: resolution n gives n×n cells; cell (i, j) is centred at
 * (x_i, y_j) = (lo + (i + 1/2)·dx, lo + (j + 1/2)·dy); `predict` receives
 * the centres row by row (y outer, x inner) and returns one probability per
 * centre (an [n², 1] or [n², 2] tensor works: column 1 is used for two
 * columns). A given `grid` uses the same layout: p[j][i] at (x[i], y[j]).
 * `predict` runs inside tf.tidy, so tensors it creates are freed.
 */
import * as tf from "@tensorflow/tfjs";
import { Chart } from "./chart";
import { toMatrix, toNumbers, round6, type MatrixInput, type NumericInput } from "./data";
import { placedRaster, roundedSegments, segmentLayer } from "./grid-layers";
import { rasterDataURL } from "./raster";

export type PredictFn = (points: number[][]) => ArrayLike<number> | tf.Tensor;

export interface DecisionBoundaryOptions {
  /** Data points, n×2. */
  points?: MatrixInput;
  /** Class of each point (0/1, or any labels). */
  labels?: NumericInput | string[];
  /** Probability of class 1 at each grid centre. */
  predict?: PredictFn;
  /** Precomputed probabilities: p[j][i] at (x[i], y[j]), x/y the cell centres, evenly spaced. */
  grid?: { x: ArrayLike<number>; y: ArrayLike<number>; p: MatrixInput };
  /** Grid cells per side (default 60). */
  resolution?: number;
  xDomain?: [number, number];
  yDomain?: [number, number];
  title?: string;
  xTitle?: string;
  yTitle?: string;
  classNames?: string[];
  /** Plot size (square by default: theme height). */
  width?: number;
  height?: number;
}

function probabilities(out: ArrayLike<number> | tf.Tensor, n: number): number[] {
  if (out instanceof tf.Tensor) {
    try {
      const cols = out.rank === 2 ? (out.shape[1] ?? 1) : 1;
      if (out.size !== n * cols || cols > 2) {
        throw new Error(
          `decisionBoundary: predict returned shape [${out.shape.join(", ")}] for ${n} points;` +
          ` expected [${n}], [${n}, 1] or [${n}, 2] (binary classifiers only)`,
        );
      }
      const d = out.dataSync();
      return Array.from({ length: n }, (_, k) => d[k * cols + cols - 1]);
    } finally {
      out.dispose();
    }
  }
  const arr = Array.from(out, Number);
  if (arr.length !== n) throw new Error(`decisionBoundary: predict returned ${arr.length} values for ${n} grid points`);
  return arr;
}

export function decisionBoundary(options: DecisionBoundaryOptions): Chart {
  const pts = options.points !== undefined ? toMatrix(options.points, "decisionBoundary points") : [];
  if (pts.length && pts[0].length !== 2) throw new Error(`decisionBoundary: points must be n×2, got n×${pts[0].length}`);
  const rawLabels: Array<number | string> =
    options.labels === undefined
      ? []
      : Array.isArray(options.labels) && typeof options.labels[0] === "string"
        ? (options.labels as string[])
        : toNumbers(options.labels as NumericInput, "labels");
  if (pts.length && rawLabels.length && rawLabels.length !== pts.length)
    throw new Error(`decisionBoundary: ${pts.length} points but ${rawLabels.length} labels`);

  let xs: number[];
  let ys: number[];
  let p: number[][];
  if (options.grid) {
    xs = toNumbers(options.grid.x, "grid.x");
    ys = toNumbers(options.grid.y, "grid.y");
    p = toMatrix(options.grid.p, "grid.p");
    if (p.length !== ys.length || p[0].length !== xs.length)
      throw new Error(`decisionBoundary: grid.p is ${p.length}×${p[0].length}, expected ${ys.length}×${xs.length} (rows = y)`);
  } else if (options.predict) {
    const n = options.resolution ?? 60;
    if (!Number.isInteger(n) || n < 2) throw new Error(`decisionBoundary: resolution must be an integer ≥ 2, got ${n}`);
    const dom = (k: 0 | 1, given?: [number, number]): [number, number] => {
      if (given) return given;
      if (!pts.length) throw new Error("decisionBoundary: give xDomain/yDomain or points to set the grid's extent");
      const v = pts.map((r) => r[k]);
      const lo = Math.min(...v);
      const hi = Math.max(...v);
      const pad = 0.1 * (hi - lo || 1);
      return [lo - pad, hi + pad];
    };
    const [x0, x1] = dom(0, options.xDomain);
    const [y0, y1] = dom(1, options.yDomain);
    xs = Array.from({ length: n }, (_, i) => x0 + ((i + 0.5) * (x1 - x0)) / n);
    ys = Array.from({ length: n }, (_, j) => y0 + ((j + 0.5) * (y1 - y0)) / n);
    const centres = ys.flatMap((y) => xs.map((x) => [x, y]));
    const predict = options.predict;
    // tidy frees tensors that predict makes (e.g. tf.tensor2d(points)); its result is kept and read below.
    const out = tf.tidy(() => predict(centres) as tf.TensorContainer) as ArrayLike<number> | tf.Tensor;
    const flat = probabilities(out, centres.length);
    p = ys.map((_, j) => flat.slice(j * n, (j + 1) * n));
  } else {
    throw new Error("decisionBoundary: give either predict (a function of grid points) or grid ({x, y, p})");
  }
  const dx = xs.length > 1 ? xs[1] - xs[0] : 1;
  const dy = ys.length > 1 ? ys[1] - ys[0] : 1;
  const xDomain: [number, number] = options.xDomain ?? [xs[0] - dx / 2, xs[xs.length - 1] + dx / 2];
  const yDomain: [number, number] = options.yDomain ?? [ys[0] - dy / 2, ys[ys.length - 1] + dy / 2];

  const boundary = roundedSegments(xs, ys, p, [0.5]);
  const names = options.classNames;
  const points = pts.map((r, k) => {
    const lab = rawLabels.length ? rawLabels[k] : 0;
    const cls = names && typeof lab === "number" && names[lab] !== undefined ? names[lab] : String(lab);
    return { x: round6(r[0]), y: round6(r[1]), class: cls };
  });
  const classOrder = names ?? [...new Set(points.map((q) => q.class))].sort();
  const height = options.height ?? 360;
  const width = options.width ?? height;
  // Centres -> the raster covers [xs0 - dx/2, xsN + dx/2]; the plot domain may differ, so the
  // image is placed on the grid's own extent and clipped to the plot.
  const gx0 = xs[0] - dx / 2;
  const gx1 = xs[xs.length - 1] + dx / 2;
  const gy0 = ys[0] - dy / 2;
  const gy1 = ys[ys.length - 1] + dy / 2;
  const url = rasterDataURL(p, { scheme: "blueorange", domain: [0, 1], opacity: 0.8 });
  const plot = { width, height, xDomain, yDomain, xTitle: options.xTitle ?? "x₁", yTitle: options.yTitle ?? "x₂" };
  const grid = placedRaster(url, [gx0, gx1, gy0, gy1], plot);
  const layers: Array<Record<string, unknown>> = [
    grid,
    {
      // Invisible marks that only carry the colour legend of the raster.
      data: { values: [{ p: 0 }, { p: 1 }] },
      mark: { type: "point", opacity: 0 },
      encoding: { color: { field: "p", type: "quantitative", title: "P(class 1)", scale: { scheme: "blueorange", domain: [0, 1] } } },
    },
  ];
  if (boundary.length) {
    layers.push(segmentLayer(boundary, { color: "#222222", strokeWidth: 2 }));
  }
  if (points.length) {
    layers.push({
      data: { values: points },
      mark: { type: "point", clip: true, filled: true, size: 60, stroke: "white", strokeWidth: 1, opacity: 1 },
      encoding: {
        x: { field: "x", type: "quantitative" },
        y: { field: "y", type: "quantitative" },
        color: {
          field: "class",
          type: "nominal",
          title: "class",
          sort: classOrder,
          scale: { range: ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7"] },
        },
      },
    });
  }
  const spec: Record<string, unknown> = {
    title: options.title ?? "Decision boundary",
    width,
    height,
    layer: layers,
    resolve: { scale: { color: "independent" } },
  };
  return new Chart(spec);
}
