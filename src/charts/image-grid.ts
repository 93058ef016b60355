/**
 * A grid of small images (8×8 digits, augmentations, adversarial examples)
 * with captions, drawn as one rect per pixel in pixel coordinates
 * (`scale: null`), so the PNG is crisp and the spec needs no image files.
 *
 * Input layouts: [n, h, w], [n, h, w, 1], [n, h, w, 3] (tensor or nested
 * arrays), an array of [h, w] images, or [n, h·w] with `shape: [h, w]`.
 * Grey levels: black = `range[1]` ink on white = `range[0]` by default
 * (`invert` swaps). `range` defaults to the min/max over all images;
 * "each" rescales every image to its own min/max (useful for perturbations).
 * RGB values are taken as 0..1 if all ≤ 1, else 0..255.
 */
import * as tf from "@tensorflow/tfjs";
import { Chart } from "./chart";
import { toShaped, extent } from "./data";
import { truncateText } from "./font";

export interface ImageGridOptions {
  captions?: string[];
  columns?: number;
  /** [h, w] when images are given flat ([n, h·w]). */
  shape?: [number, number];
  /** Screen pixels per image pixel (default: images about 72 px wide). */
  pixelSize?: number;
  range?: [number, number] | "each";
  invert?: boolean;
  title?: string;
  /** Limit (default 64 images). */
  maxImages?: number;
}

const MAX_RECTS = 80_000;

export function imageGrid(images: tf.Tensor | ArrayLike<unknown>, options: ImageGridOptions = {}): Chart {
  let { shape, data } =
    Array.isArray(images) && images.length > 0 && images[0] instanceof tf.Tensor
      ? (() => {
          const parts = (images as tf.Tensor[]).map((t) => toShaped(t, "imageGrid"));
          return { shape: [parts.length, ...parts[0].shape], data: parts.flatMap((p) => p.data) };
        })()
      : toShaped(images, "imageGrid");
  if (options.shape) {
    const [h, w] = options.shape;
    const n = data.length / (h * w);
    if (!Number.isInteger(n)) throw new Error(`imageGrid: ${data.length} values are not a whole number of ${h}×${w} images`);
    shape = [n, h, w];
  }
  if (shape.length === 2 && !options.shape)
    throw new Error(`imageGrid: got shape [${shape.join(", ")}]; pass shape: [h, w] for flat images, or a [n, h, w] array`);
  if (shape.length === 4 && shape[3] === 1) shape = shape.slice(0, 3);
  if (!(shape.length === 3 || (shape.length === 4 && shape[3] === 3))) {
    throw new Error(`imageGrid: expected [n, h, w], [n, h, w, 1] or [n, h, w, 3], got [${shape.join(", ")}]`);
  }
  const [nAll, h, w] = shape;
  const channels = shape.length === 4 ? 3 : 1;
  const n = Math.min(nAll, options.maxImages ?? 64);
  if (n * h * w > MAX_RECTS)
    throw new Error(`imageGrid: ${n} images of ${h}×${w} are ${n * h * w} pixels; show fewer (maxImages) or smaller images`);
  const captions = options.captions ?? [];
  const columns = options.columns ?? Math.min(n, 8);
  const ps = options.pixelSize ?? Math.max(2, Math.round(72 / Math.max(w, h)));
  const gap = 10;
  const captionH = captions.length ? 22 : 0;
  const cellW = w * ps + gap;
  const cellH = h * ps + gap + captionH;
  const perImage = h * w * channels;
  const globalRange = options.range === "each" || options.range === undefined ? extent(data.slice(0, n * perImage)) : options.range;
  const rgbMax = channels === 3 && extent(data)[1] > 1 ? 255 : 1;
  const pixels: Array<Record<string, number | string>> = [];
  const labels: Array<Record<string, number | string>> = [];
  const hex = (v: number) =>
    Math.max(0, Math.min(255, Math.round((v / rgbMax) * 255)))
      .toString(16)
      .padStart(2, "0");
  for (let k = 0; k < n; k++) {
    const base = k * perImage;
    const cx = (k % columns) * cellW;
    const cy = Math.floor(k / columns) * cellH;
    const [lo, hi] = options.range === "each" ? extent(data.slice(base, base + perImage)) : globalRange;
    const span = hi - lo || 1;
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const x = cx + c * ps;
        const y = cy + r * ps;
        if (channels === 3) {
          const o = base + (r * w + c) * 3;
          pixels.push({ x, y, fill: `#${hex(data[o])}${hex(data[o + 1])}${hex(data[o + 2])}` });
        } else {
          let t = (data[base + r * w + c] - lo) / span;
          t = Math.max(0, Math.min(1, t));
          if (!options.invert) t = 1 - t; // ink (high values) dark
          const g = Math.round(t * 255)
            .toString(16)
            .padStart(2, "0");
          pixels.push({ x, y, fill: `#${g}${g}${g}` });
        }
      }
    }
    // Truncated here, not with vega's `limit`: vega sizes the chart by the untruncated text.
    if (captions[k] !== undefined)
      labels.push({ x: cx + (w * ps) / 2, y: cy + h * ps + 4, text: truncateText(String(captions[k]), w * ps, 13) });
  }
  const rows = Math.ceil(n / columns);
  const width = columns * cellW - gap;
  const height = rows * cellH - gap;
  const layers: Array<Record<string, unknown>> = [
    {
      data: { values: pixels },
      transform: [
        { calculate: `datum.x + ${ps}`, as: "x2" },
        { calculate: `datum.y + ${ps}`, as: "y2" },
      ],
      mark: { type: "rect", strokeWidth: 0 },
      encoding: {
        x: { field: "x", type: "quantitative", scale: null },
        x2: { field: "x2" },
        y: { field: "y", type: "quantitative", scale: null },
        y2: { field: "y2" },
        fill: { field: "fill", type: "nominal", scale: null },
      },
    },
  ];
  if (labels.length) {
    layers.push({
      data: { values: labels },
      mark: { type: "text", baseline: "top", align: "center", fontSize: 13 },
      encoding: {
        x: { field: "x", type: "quantitative", scale: null },
        y: { field: "y", type: "quantitative", scale: null },
        text: { field: "text" },
      },
    });
  }
  const spec: Record<string, unknown> = {
    width,
    height,
    layer: layers,
    config: { view: { stroke: null } },
  };
  if (options.title) spec.title = options.title;
  return new Chart(spec);
}
