/**
 * A small PNG decoder (RFC 2083 / PNG spec 1.2) to RGBA pixels, for comparing
 * images by what they show rather than by their bytes (encoders differ in
 * compression, chunks and filter choice). Supports every colour type at bit
 * depth 8 and 16 (16 is reduced to its high byte), palettes with tRNS, all
 * five filters; not interlaced images (Adam7) or depths below 8, which throw
 * {@link PngError} so callers can fall back to comparing bytes.
 */
import zlib from "zlib";

export interface Rgba {
  width: number;
  height: number;
  /** width × height × 4 bytes, row-major. */
  pixels: Uint8Array;
}

export class PngError extends Error {}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export function decodePng(buf: Buffer): Rgba {
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new PngError("not a PNG (bad signature)");
  let pos = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let type = 0;
  let palette: Buffer | null = null;
  let trns: Buffer | null = null;
  const idat: Buffer[] = [];
  while (pos + 8 <= buf.length) {
    const len = buf.readUInt32BE(pos);
    const kind = buf.toString("latin1", pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    pos += 12 + len;
    if (kind === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      depth = data[8];
      type = data[9];
      if (data[12] !== 0) throw new PngError("interlaced PNGs are not supported");
      if (!(type in CHANNELS)) throw new PngError(`unknown PNG colour type ${type}`);
      if (depth !== 8 && depth !== 16) throw new PngError(`PNG bit depth ${depth} is not supported`);
    } else if (kind === "PLTE") palette = data;
    else if (kind === "tRNS") trns = data;
    else if (kind === "IDAT") idat.push(data);
    else if (kind === "IEND") break;
  }
  if (width === 0 || height === 0) throw new PngError("PNG without IHDR");
  const bpp = (CHANNELS[type] * depth) / 8;
  const stride = width * bpp;
  const raw = zlib.inflateSync(Buffer.concat(idat));
  if (raw.length < height * (stride + 1)) throw new PngError("PNG image data is truncated");
  const cur = new Uint8Array(stride);
  let prev = new Uint8Array(stride);
  const pixels = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    if (f > 4) throw new PngError(`unknown PNG filter ${f}`);
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? cur[i - bpp] : 0;
      const b = prev[i];
      const c = i >= bpp ? prev[i - bpp] : 0;
      const x = line[i];
      cur[i] = f === 0 ? x : f === 1 ? x + a : f === 2 ? x + b : f === 3 ? x + ((a + b) >> 1) : x + paeth(a, b, c);
    }
    for (let x = 0; x < width; x++) {
      const at = (k: number) => cur[x * bpp + k * (depth / 8)]; // high byte of 16-bit samples
      const o = (y * width + x) * 4;
      if (type === 3) {
        const idx = cur[x];
        if (!palette || idx * 3 + 2 >= palette.length) throw new PngError("PNG palette index out of range");
        pixels.set([palette[idx * 3], palette[idx * 3 + 1], palette[idx * 3 + 2], trns && idx < trns.length ? trns[idx] : 255], o);
      } else if (type === 0 || type === 4) {
        const g = at(0);
        pixels.set([g, g, g, type === 4 ? at(1) : 255], o);
      } else {
        pixels.set([at(0), at(1), at(2), type === 6 ? at(3) : 255], o);
      }
    }
    prev = Uint8Array.from(cur);
  }
  return { width, height, pixels };
}

export interface PixelDiff {
  /** Fraction of pixels with some channel differing by more than `channelTolerance`. */
  fraction: number;
  sameSize: boolean;
}

/** Compare two images pixel by pixel (RGBA, 0–255 per channel). */
export function pixelDiff(a: Rgba, b: Rgba, channelTolerance: number): PixelDiff {
  if (a.width !== b.width || a.height !== b.height) return { fraction: 1, sameSize: false };
  let off = 0;
  for (let i = 0; i < a.pixels.length; i += 4) {
    for (let k = 0; k < 4; k++) {
      if (Math.abs(a.pixels[i + k] - b.pixels[i + k]) > channelTolerance) {
        off++;
        break;
      }
    }
  }
  return { fraction: off / (a.width * a.height), sameSize: true };
}
