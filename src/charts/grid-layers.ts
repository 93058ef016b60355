/**
 * The layers shared by the charts of a function sampled on a 2-D grid (decisionBoundary, lossContours):
 * the grid drawn as one raster image placed on the grid's own extent, and contour lines as rule segments,
 * both clipped to the plot (whose domains may differ from the grid's extent).
 */
import { round6 } from "./data";
import { contourSegments, type Segment } from "./marching-squares";
import { rasterLayer } from "./raster";

/** The plot a grid layer is drawn on: its size in px, its exact (non-nice) domains and its axis titles. */
export interface GridPlot {
  width: number;
  height: number;
  xDomain: [number, number];
  yDomain: [number, number];
  xTitle: string;
  yTitle: string;
}

/** The raster image `url` covering [x0, x1]×[y0, y1], carrying the plot's scales and axis titles. */
export function placedRaster(url: string, [x0, x1, y0, y1]: [number, number, number, number], plot: GridPlot): Record<string, unknown> {
  const pxW = (plot.width * (x1 - x0)) / (plot.xDomain[1] - plot.xDomain[0]);
  const pxH = (plot.height * (y1 - y0)) / (plot.yDomain[1] - plot.yDomain[0]);
  const raster = rasterLayer(url, round6(x0), round6(y1), round6(pxW), round6(pxH));
  const enc = raster.encoding as Record<string, Record<string, unknown>>;
  const xScale = { domain: plot.xDomain.map(round6), nice: false, zero: false };
  const yScale = { domain: plot.yDomain.map(round6), nice: false, zero: false };
  // About one x tick per 70 px: vega's default (one per 40 px) drops labels like "−1.0" on narrow plots.
  enc.x = { ...enc.x, scale: xScale, title: plot.xTitle, axis: { tickCount: Math.max(2, Math.floor(plot.width / 70)) } };
  enc.y = { ...enc.y, scale: yScale, title: plot.yTitle };
  return raster;
}

/** A contour segment without its level, as the charts draw it. */
export type RuleSegment = Omit<Segment, "level">;

/** The contour segments of z[j][i] at (xs[i], ys[j]) for `levels`, their ends rounded to 6 digits. */
export function roundedSegments(xs: number[], ys: number[], z: number[][], levels: number[]): RuleSegment[] {
  return contourSegments(xs, ys, z, levels).map((s) => ({ x: round6(s.x), y: round6(s.y), x2: round6(s.x2), y2: round6(s.y2) }));
}

/** Segments as a layer of rule marks (clipped) with the given style: color, strokeWidth, opacity. */
export function segmentLayer(segments: RuleSegment[], style: Record<string, unknown>): Record<string, unknown> {
  return {
    data: { values: segments },
    mark: { type: "rule", clip: true, ...style },
    encoding: {
      x: { field: "x", type: "quantitative" },
      y: { field: "y", type: "quantitative" },
      x2: { field: "x2" },
      y2: { field: "y2" },
    },
  };
}
