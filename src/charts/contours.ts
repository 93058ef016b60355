/**
 * A 2-D loss surface in the style of the Deep Learning book's Fig. 7.1 /
 * 7.4: filled bands and contour lines of the unregularized loss J(w),
 * contours of the penalty Ω(w) (centred at 0), an optimisation path, the
 * unregularized optimum w* and the regularized optimum w̃.
 *
 * Bands: grid cells coloured by how many loss levels they exceed (darker =
 * lower loss), drawn as one raster image (raster.ts). Lines: marching squares (marching-squares.ts).
 * Penalty shorthands (no 1/2 factor; only the level sets matter here):
 *   "l2": Ω(w) = w₁² + w₂²     "l1": Ω(w) = |w₁| + |w₂|
 */
import { Chart } from "./chart";
import { toMatrix, round6, type MatrixInput } from "./data";
import { quantileLevels, sampleGrid } from "./marching-squares";
import { placedRaster, roundedSegments, segmentLayer } from "./grid-layers";
import { rasterDataURL } from "./raster";

export type Surface = (w1: number, w2: number) => number;

export interface LossContoursOptions {
  /** J(w₁, w₂), or a sampled grid z[j][i] at (x[i], y[j]) (evenly spaced). */
  loss: Surface | { x: number[]; y: number[]; z: MatrixInput };
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Samples per side when `loss` is a function (default 80). */
  resolution?: number;
  /** Loss levels, or how many (default 8, at quantiles of the grid). */
  levels?: number[] | number;
  penalty?: Surface | "l2" | "l1";
  /** Penalty levels (default: 3 levels, the last through w̃ if given). */
  penaltyLevels?: number[];
  /** Optimisation path, k×2 (e.g. weights after each step). */
  path?: MatrixInput;
  /** Unregularized optimum w*. */
  optimum?: [number, number];
  /** Regularized optimum w̃. */
  regularizedOptimum?: [number, number];
  title?: string;
  width?: number;
  height?: number;
}

const PENALTIES: Record<"l2" | "l1", Surface> = {
  l2: (a, b) => a * a + b * b,
  l1: (a, b) => Math.abs(a) + Math.abs(b),
};

export function lossContours(options: LossContoursOptions): Chart {
  let xs: number[];
  let ys: number[];
  let z: number[][];
  const n = options.resolution ?? 80;
  if (typeof options.loss === "function") {
    if (!options.xDomain || !options.yDomain)
      throw new Error("lossContours: give xDomain and yDomain, e.g. {xDomain: [-1, 3], yDomain: [-1, 3]}");
    ({ xs, ys, z } = sampleGrid(options.loss, options.xDomain, options.yDomain, n));
  } else if (options.loss && typeof options.loss === "object") {
    xs = options.loss.x;
    ys = options.loss.y;
    z = toMatrix(options.loss.z, "lossContours loss.z");
    if (z.length !== ys.length || z[0].length !== xs.length)
      throw new Error(`lossContours: loss.z is ${z.length}×${z[0].length}, expected ${ys.length}×${xs.length} (rows = y)`);
  } else {
    throw new Error("lossContours: loss must be a function (w1, w2) => number or {x, y, z}");
  }
  const xDomain = options.xDomain ?? [xs[0], xs[xs.length - 1]];
  const yDomain = options.yDomain ?? [ys[0], ys[ys.length - 1]];
  const levels = Array.isArray(options.levels) ? [...options.levels].sort((a, b) => a - b) : quantileLevels(z, options.levels ?? 8);

  // Bands: a cell's band = number of levels below its centre value (mean of corners).
  const bands: number[][] = [];
  for (let j = 0; j + 1 < ys.length; j++) {
    const row: number[] = [];
    for (let i = 0; i + 1 < xs.length; i++) {
      const v = (z[j][i] + z[j][i + 1] + z[j + 1][i] + z[j + 1][i + 1]) / 4;
      let band = 0;
      while (band < levels.length && v > levels[band]) band++;
      row.push(band);
    }
    bands.push(row);
  }
  const lossLines = roundedSegments(xs, ys, z, levels);

  const height = options.height ?? 400;
  const width = options.width ?? height;
  // The bands are one raster image (raster.ts) placed on the grid's extent, clipped to the plot.
  const url = rasterDataURL(bands, { scheme: "blues", reverse: true, domain: [0, levels.length + 3] });
  const extent: [number, number, number, number] = [xs[0], xs[xs.length - 1], ys[0], ys[ys.length - 1]];
  const raster = placedRaster(url, extent, { width, height, xDomain, yDomain, xTitle: "w₁", yTitle: "w₂" });
  const layers: Array<Record<string, unknown>> = [
    raster,
    segmentLayer(lossLines, { color: "#0b3c6b", strokeWidth: 1.2, opacity: 0.8 }),
  ];
  if (options.penalty) {
    const pen = typeof options.penalty === "function" ? options.penalty : PENALTIES[options.penalty];
    if (!pen) throw new Error(`lossContours: penalty must be "l2", "l1" or a function, got ${String(options.penalty)}`);
    const pz = ys.map((y) => xs.map((x) => pen(x, y)));
    let pLevels = options.penaltyLevels;
    if (!pLevels) {
      const through = options.regularizedOptimum
        ? pen(options.regularizedOptimum[0], options.regularizedOptimum[1])
        : quantileLevels(pz, 3)[1];
      pLevels = [through / 4, through / 2, through].filter((v) => v > 0);
      if (typeof options.penalty === "string" && options.penalty === "l2") pLevels = [through / 9, (4 * through) / 9, through];
      if (typeof options.penalty === "string" && options.penalty === "l1") pLevels = [through / 3, (2 * through) / 3, through];
    }
    layers.push(segmentLayer(roundedSegments(xs, ys, pz, pLevels), { color: "#D55E00", strokeWidth: 2 }));
  }
  if (options.path !== undefined) {
    const path = toMatrix(options.path, "lossContours path");
    if (path[0].length !== 2) throw new Error(`lossContours: path must be k×2, got k×${path[0].length}`);
    layers.push({
      data: { values: path.map((r, k) => ({ step: k, x: round6(r[0]), y: round6(r[1]) })) },
      mark: { type: "line", clip: true, color: "#222222", strokeWidth: 2, point: { filled: true, size: 25, color: "#222222" } },
      encoding: {
        x: { field: "x", type: "quantitative" },
        y: { field: "y", type: "quantitative" },
        order: { field: "step", type: "quantitative" },
      },
    });
  }
  const marks: Array<{ x: number; y: number; label: string }> = [];
  if (options.optimum) marks.push({ x: round6(options.optimum[0]), y: round6(options.optimum[1]), label: "w*" });
  if (options.regularizedOptimum)
    marks.push({ x: round6(options.regularizedOptimum[0]), y: round6(options.regularizedOptimum[1]), label: "w̃" });
  if (marks.length) {
    layers.push({
      data: { values: marks },
      layer: [
        {
          mark: { type: "point", shape: "diamond", filled: true, size: 140, color: "#000000", stroke: "white", strokeWidth: 1.5 },
          encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" } },
        },
        {
          mark: { type: "text", align: "left", dx: 9, dy: -9, fontSize: 18, fontWeight: "bold", color: "#000000" },
          encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" }, text: { field: "label" } },
        },
      ],
    });
  }
  const spec: Record<string, unknown> = {
    title: options.title ?? "Loss contours",
    width,
    height,
    layer: layers,
  };
  return new Chart(spec);
}
