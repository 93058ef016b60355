/**
 * Dense grids (probability maps, loss bands) as ONE `image` mark holding a
 * small PNG data URL, instead of one rect per cell: a 60×60 grid is 3,600
 * SVG paths (1.2 MB of SVG) as rects, one element as an image.
 *
 * Conventions: values[j][i] is the cell at column i (x increasing) and row
 * j (y increasing upwards, as in the plot); PNG row 0 is the top, so rows
 * are written in reverse. Colours come from a vega colour scheme sampled at
 * t = (v - lo) / (hi - lo), blended over white with `opacity` (so the PNG
 * is opaque and looks the same in every viewer). PNG encoding follows the
 * PNG spec (RFC 2083): 8-bit RGB, filter 0 per scanline, zlib, CRC-32.
 *
 * vega loads images asynchronously (and not at all in Node without a
 * canvas); `resolveInlineImages` gives data-URL image items their image
 * up front so the synchronous SVG path can emit them.
 */
import * as zlib from "node:zlib";
import { vega } from "./engines";

let crcTable: Uint32Array | null = null;

function crc32(buf: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = crcTable[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** Encode 8-bit RGB pixels (row-major, top row first) as PNG. */
export function encodePNG(width: number, height: number, rgb: Uint8Array): Buffer {
  if (rgb.length !== width * height * 3) throw new Error(`encodePNG: expected ${width * height * 3} bytes, got ${rgb.length}`);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0; // filter: none
    Buffer.from(rgb.buffer, rgb.byteOffset + y * width * 3, width * 3).copy(raw, y * (width * 3 + 1) + 1);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib.deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function parseColor(s: string): [number, number, number] {
  const m = s.match(/rgb\((\d+),\s*(\d+),\s*(\d+)\)/);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const h = s.match(/^#([0-9a-f]{6})$/i);
  if (h) return [0, 2, 4].map((k) => parseInt(h[1].slice(k, k + 2), 16)) as [number, number, number];
  throw new Error(`raster: cannot parse colour ${s}`);
}

export interface RasterOptions {
  /** vega scheme name, e.g. "blueorange", "blues". */
  scheme: string;
  domain: [number, number];
  reverse?: boolean;
  /** Blend over white (1 = opaque colours). */
  opacity?: number;
}

/** PNG data URL of a grid coloured with a vega scheme (see module doc). */
export function rasterDataURL(values: number[][], options: RasterOptions): string {
  const interp = vega().scheme(options.scheme);
  if (typeof interp !== "function") throw new Error(`raster: unknown continuous vega scheme '${options.scheme}'`);
  const rows = values.length;
  const cols = values[0]?.length ?? 0;
  const [lo, hi] = options.domain;
  const alpha = options.opacity ?? 1;
  // 256-entry lookup table: the scheme is slow to evaluate per cell.
  const lut = Array.from({ length: 256 }, (_, k) => {
    const t = options.reverse ? 1 - k / 255 : k / 255;
    return parseColor(interp(t)).map((c) => Math.round(alpha * c + (1 - alpha) * 255));
  });
  const rgb = new Uint8Array(rows * cols * 3);
  for (let j = 0; j < rows; j++) {
    const out = (rows - 1 - j) * cols * 3; // top row of the PNG = highest y
    for (let i = 0; i < cols; i++) {
      const v = values[j][i];
      const t = Number.isFinite(v) ? Math.max(0, Math.min(1, (v - lo) / (hi - lo || 1))) : 0;
      const c = lut[Math.round(t * 255)];
      rgb[out + 3 * i] = c[0];
      rgb[out + 3 * i + 1] = c[1];
      rgb[out + 3 * i + 2] = c[2];
    }
  }
  return `data:image/png;base64,${encodePNG(cols, rows, rgb).toString("base64")}`;
}

/**
 * A vega-lite layer drawing the raster over [x0, x1]×[y0, y1] of a plot
 * that is `width`×`height` px with those exact (non-nice) domains.
 */
export function rasterLayer(url: string, x0: number, y1: number, width: number, height: number): Record<string, unknown> {
  return {
    data: { values: [{ x: x0, y: y1, url }] },
    mark: { type: "image", width, height, aspect: false, align: "left", baseline: "top", clip: true },
    encoding: { x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" }, url: { field: "url", type: "nominal" } },
  };
}

interface SceneNode {
  marktype?: string;
  items?: SceneNode[];
  url?: string;
  width?: number;
  height?: number;
  image?: unknown;
}

/** Give data-URL image items their image now (vega would load them asynchronously). */
export function resolveInlineImages(node: SceneNode): void {
  if (node.marktype === "image") {
    for (const item of node.items ?? []) {
      if (typeof item.url === "string" && item.url.startsWith("data:") && !item.image) {
        item.image = { complete: true, width: item.width ?? 0, height: item.height ?? 0, src: item.url, url: item.url };
      }
    }
    return;
  }
  for (const child of node.items ?? []) resolveInlineImages(child);
}
